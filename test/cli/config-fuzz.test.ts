// Fuzzing the config loader through the real CLI path (`kiln train <file>`): hundreds of mutated
// configs (unknown keys, wrong types, huge numbers, missing fields, broken YAML) must each end
// with exit 1 and one `kiln: ...` line, never a stack trace, an internal error or a run. The data
// file does not exist, so a mutation that happens to stay valid stops at a one-line data error.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { assertOneLine, mulberry32, runKiln, runMain } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-fuzz-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const out = join(tmp, 'runs');

const BASE = {
  name: 'fuzz',
  seed: 1,
  data: { format: 'csv', path: join(tmp, 'missing.csv'), label: 'y' },
  split: { validation: 0.2, test: 0.2 },
  preprocess: { standardize: true },
  model: [
    { type: 'Linear', outFeatures: 8 },
    { type: 'ReLU' },
    { type: 'Dropout', p: 0.1 },
    { type: 'Linear', outFeatures: 3 },
  ],
  optimizer: { type: 'AdamW', lr: 0.01, weightDecay: 0.01 },
  loss: { type: 'crossEntropy', labelSmoothing: 0.1 },
  schedule: { type: 'StepLR', stepSize: 2 },
  training: { epochs: 2, batchSize: 4 },
  metrics: ['accuracy'],
  callbacks: { earlyStopping: { patience: 2 } },
  output: { dir: out },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const WRONG: Json[] = ['text', -1, 0, 1.5, true, null, [], {}, 1e308, -1e308, [1, 'a'], { a: 1 }];
const NAMES = ['weight_decay', 'lr_', 'Type', 'out_features', 'epoch', 'rate', '__proto__', 'x'];

function objects(v: Json, path: (string | number)[] = [], acc: (string | number)[][] = []) {
  if (v && typeof v === 'object') {
    acc.push(path);
    for (const [k, c] of Object.entries(v))
      objects(c as Json, [...path, Array.isArray(v) ? Number(k) : k], acc);
  }
  return acc;
}
function leaves(v: Json, path: (string | number)[] = [], acc: (string | number)[][] = []) {
  if (v && typeof v === 'object')
    for (const [k, c] of Object.entries(v))
      leaves(c as Json, [...path, Array.isArray(v) ? Number(k) : k], acc);
  else acc.push(path);
  return acc;
}
function at(root: Json, path: (string | number)[]): { [k: string]: Json } & Json[] {
  return path.reduce((o: Json, k) => (o as Record<string, Json>)[k]!, root) as never;
}

/** One mutated config file's text and extension. */
function mutate(rand: () => number, i: number): { text: string; ext: string } {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const config = structuredClone(BASE) as unknown as Json;
  const kind = i % 6;
  if (kind === 0) {
    const obj = at(config, pick(objects(config)));
    if (Array.isArray(obj)) obj.push(pick(WRONG));
    else Object.defineProperty(obj, pick(NAMES), { value: pick(WRONG), enumerable: true });
  } else if (kind === 1) {
    const path = pick(leaves(config));
    at(config, path.slice(0, -1))[path.at(-1) as never] = pick(WRONG) as never;
  } else if (kind === 2) {
    const path = pick(leaves(config).filter((p) => p.length > 1));
    const parent = at(config, path.slice(0, -1));
    if (Array.isArray(parent)) parent.splice(Number(path.at(-1)), 1);
    else delete parent[path.at(-1) as string];
    if (rand() < 0.5) delete (config as Record<string, Json>)[pick(Object.keys(BASE))];
  } else if (kind === 3) {
    (at(config, ['model']) as Json[])[Math.floor(rand() * 4)] = {
      type: pick(['Linear', 'Lineer', 'LSTM', 'Conv2d', 'Sequential', '', 'Dropout']),
      [pick(['outFeatures', 'p', 'hiddenSize', 'layers', 'kernelSize', 'bogus'])]: pick(WRONG),
    };
  }
  let text = stringify(config);
  if (kind === 4) {
    // Huge or odd numbers written into the YAML text itself.
    const lines = text.split('\n');
    const n = lines.findIndex((l, j) => j >= Math.floor(rand() * lines.length) && /: \d/.test(l));
    if (n >= 0)
      lines[n] = lines[n]!.replace(
        /: .*/,
        `: ${pick(['1e400', '-1e400', '.nan', '.inf', '0x7fffffffffffffffff', '1_000', '9'.repeat(400)])}`,
      );
    else lines.push(`epochs: 1e400`);
    text = lines.join('\n');
  } else if (kind === 5) {
    const cut = Math.floor(rand() * text.length);
    text = pick([
      () => `${text.slice(0, cut)}: [unclosed\n${text.slice(cut)}`,
      () => `${text.slice(0, cut)}\n\t bad: indent\n${text.slice(cut)}`,
      () => `${text}\n${text}`, // duplicate keys
      () => `{ "name": ${text.slice(0, cut)}`,
      () => '- just\n- a list\n',
      () => '',
      () => '\uFEFF\u0000',
    ])();
  }
  return { text, ext: kind === 5 && rand() < 0.3 ? 'json' : 'yaml' };
}

describe('config loader fuzz', () => {
  it('300 mutated configs: exit 1, one line naming the file (config errors), no stack, no run', async () => {
    const rand = mulberry32(2026);
    const seen = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const { text, ext } = mutate(rand, i);
      const path = join(tmp, `m${i}.${ext}`);
      writeFileSync(path, text);
      const r = await runMain(['train', path]);
      const context = `case ${i}:\n${text.slice(0, 400)}\n-> ${r.err}`;
      assert.equal(r.code, 1, context);
      const line = assertOneLine(r.err);
      assert.ok(!line.includes('internal error'), context);
      const kindOf = /invalid config|not valid (YAML|JSON)/.test(line) ? 'config' : 'data';
      if (kindOf === 'config')
        assert.ok(line.includes(path), `the line names the file: ${context}`);
      else assert.match(line, /missing\.csv|data\./, context);
      seen.set(kindOf, (seen.get(kindOf) ?? 0) + 1);
    }
    // Most mutations must be caught as config errors, not slip through to the data.
    assert.ok((seen.get('config') ?? 0) >= 200, JSON.stringify([...seen]));
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f === 'runs'),
      [],
    );
  });

  it('as real processes too (a few)', async () => {
    const rand = mulberry32(7);
    for (const i of [0, 1, 5]) {
      const { text, ext } = mutate(rand, i);
      const path = join(tmp, `p${i}.${ext}`);
      writeFileSync(path, text);
      const r = await runKiln(['train', path]);
      assert.equal(r.code, 1, r.err);
      assertOneLine(r.err);
    }
  });
});
