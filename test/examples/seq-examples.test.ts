import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

/** Runs an example as a user would; each example exits non-zero when it misses its target. */
function runExample(file: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], {
    encoding: 'utf8',
    env: { ...process.env, KILN_QUIET: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('sequence examples', () => {
  it('the LSTM forecaster beats the naive last-value forecast by >= 30% RMSE', () => {
    const { status, stdout, stderr } = runExample('examples/timeseries-lstm.ts');
    assert.equal(status, 0, stderr);
    const match = /LSTM ([\d.]+), naive last value ([\d.]+)/.exec(stdout);
    assert.ok(match, stdout);
    assert.ok(Number(match[1]) <= 0.7 * Number(match[2]), stdout);
  });

  it('the Transformer classifier reaches >= 95% held-out accuracy', () => {
    const { status, stdout, stderr } = runExample('examples/transformer-classify.ts');
    assert.equal(status, 0, stderr);
    const match = /held-out accuracy: ([\d.]+)%/.exec(stdout);
    assert.ok(match, stdout);
    assert.ok(Number(match[1]) >= 95, `accuracy ${match[1]}%`);
  });
});
