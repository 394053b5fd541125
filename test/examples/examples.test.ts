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

describe('examples', () => {
  it('linear regression reaches |w - 2| < 0.05 and |b - 1| < 0.05', () => {
    const { status, stdout, stderr } = runExample('examples/linear-regression.ts');
    assert.equal(status, 0, stderr);
    const match = /learned y = ([\d.-]+) x \+ ([\d.-]+)/.exec(stdout);
    assert.ok(match, stdout);
    assert.ok(Math.abs(Number(match[1]) - 2) < 0.05, `w = ${match[1]}`);
    assert.ok(Math.abs(Number(match[2]) - 1) < 0.05, `b = ${match[2]}`);
  });

  it('the manual PyTorch-style loop reaches >= 95% held-out accuracy on iris', () => {
    const { status, stdout, stderr } = runExample('examples/mlp-manual-loop.ts');
    assert.equal(status, 0, stderr);
    const match = /held-out accuracy: ([\d.]+)%/.exec(stdout);
    assert.ok(match, stdout);
    assert.ok(Number(match[1]) >= 95, `accuracy ${match[1]}%`);
  });
});
