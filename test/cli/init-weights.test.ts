import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import * as k from '../../src/index.js';
import { runMain } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-init-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** examples/iris.yaml with a 4-8-3 MLP (the .pt fixtures' shape), a negligible lr and `init`. */
function config(name: string, init: Record<string, unknown>): string {
  const c = parse(readFileSync('examples/iris.yaml', 'utf8'));
  c.name = name;
  c.model = [
    { type: 'Linear', outFeatures: 8 },
    { type: 'ReLU' },
    { type: 'Linear', outFeatures: 3 },
  ];
  c.optimizer = { type: 'SGD', lr: 1e-12 };
  c.training = { ...c.training, epochs: 1 };
  c.init = init;
  c.output = { dir: join(root, 'runs') };
  const path = join(root, `${name}.json`);
  writeFileSync(path, JSON.stringify(c));
  return path;
}

async function finalWeights(name: string): Promise<Record<string, k.Tensor>> {
  return (await k.io.load(join(root, 'runs', name, 'model.safetensors'))).tensors;
}

describe('kiln train with init: { from: weights.pt }', () => {
  it('starts from a state dict (.pt) and from a checkpoint dict (its model entry)', async () => {
    for (const [name, file] of [
      ['sd', 'test/fixtures/pt/mlp.pt'],
      ['ckpt', 'test/fixtures/pt/checkpoint.pt'],
    ] as const) {
      const r = await runMain(['train', config(name, { from: file })]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`initialized 4 tensors from ${file}`));
      const want = (await k.io.loadTorch(file)) as Record<string, unknown>;
      const sd = (name === 'ckpt' ? want.model : want) as Record<string, k.Tensor>;
      const got = await finalWeights(name);
      for (const key of Object.keys(sd)) {
        const d = got[key]!.sub(sd[key]!).abs().amax().item() as number;
        assert.ok(d < 1e-6, `${name}: ${key} moved by ${d} with lr 1e-12`);
      }
    }
  });

  it('errors are one line naming init.from: shapes, missing keys, a missing entry, a hostile file', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { from: 'test/fixtures/pt/cnn.pt' },
        /init\.from: test\/fixtures\/pt\/cnn\.pt: loadStateDict: .*size mismatch for '0\.weight'/,
      ],
      [
        { from: 'test/fixtures/pt/checkpoint.pt', key: 'nope' },
        /no entry 'nope' \(entries: model, optimizer/,
      ],
      [
        { from: 'test/fixtures/pt/checkpoint.pt', key: 'optimizer' },
        /entry 'state' is not a tensor/,
      ],
      [{ from: 'test/fixtures/pt/evil.pt' }, /refuses to load global 'posix\.system'/],
      [{ from: join(root, 'missing.pt') }, /cannot read/],
      [{ from: 'x.pt', bogus: 1 }, /init/],
    ];
    for (const [init, pattern] of cases) {
      const r = await runMain(['train', config('bad', init)]);
      assert.equal(r.code, 1, `${JSON.stringify(init)}: ${r.err}`);
      assert.match(r.err, pattern);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
  });
});
