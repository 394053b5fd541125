import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { decodeTorch, type TorchRecord } from '../../src/io/torch-load.js';
import { Pickle, torchZip } from './torch-files.js';

const { nn } = k;
const dir = 'test/fixtures/pt';
const refs = JSON.parse(readFileSync(`${dir}/refs.json`, 'utf8'));
const diffs: number[] = [];
after(() =>
  console.log(
    `# loadTorch vs PyTorch ${refs.torch}: max |diff| ${Math.max(...diffs).toExponential(2)}`,
  ),
);

type Ref = { input: number[]; inputShape: number[]; output: number[]; outputShape: number[] };

function close(got: k.Tensor, expected: unknown, tol = 1e-6): void {
  const want = k.tensor(expected as number[], { dtype: 'float64' });
  assert.deepEqual(got.shape, want.shape);
  const d = got.to('float64').sub(want).abs().amax().item() as number;
  diffs.push(d);
  assert.ok(d <= tol, `max |diff| ${d} > ${tol}`);
}

async function loadInto(name: string, model: k.nn.Module): Promise<Ref> {
  const sd = (await k.io.loadTorch(`${dir}/${name}.pt`)) as Record<string, k.Tensor>;
  model.loadStateDict(sd);
  model.eval();
  return refs[name] as Ref;
}

function run(model: k.nn.Module, ref: Ref): k.Tensor {
  const x = k.tensor(ref.input as unknown as number[], { shape: ref.inputShape });
  const y = k.noGrad(() => (model.forward as (x: k.Tensor) => unknown)(x));
  return Array.isArray(y) ? (y[0] as k.Tensor) : (y as k.Tensor);
}

describe('k.io.loadTorch reads torch.save files (torch 1.13 fixtures) and gives PyTorch outputs', () => {
  it('MLP state dict', async () => {
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const ref = await loadInto('mlp', model);
    close(run(model, ref), ref.output);
  });
  it('CNN state dict (with BatchNorm running statistics and num_batches_tracked)', async () => {
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(36, 3),
    );
    const ref = await loadInto('cnn', model);
    close(run(model, ref), ref.output);
  });
  it('LSTM state dict (2 layers, batch first)', async () => {
    const model = new nn.LSTM(3, 5, { numLayers: 2, batchFirst: true });
    const ref = await loadInto('lstm', model);
    close(run(model, ref), ref.output);
  });
  it('TransformerEncoderLayer state dict', async () => {
    const model = new nn.TransformerEncoderLayer(8, 2, {
      dimFeedforward: 16,
      dropout: 0,
      batchFirst: true,
    });
    const ref = await loadInto('transformer', model);
    close(run(model, ref), ref.output);
  });
  it('a checkpoint dict: model, Adam state, plain values', async () => {
    const ck = (await k.io.loadTorch(`${dir}/checkpoint.pt`)) as TorchRecord;
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    model.loadStateDict(ck.model as Record<string, k.Tensor>);
    const opt = ck.optimizer as {
      state: Record<string, Record<string, k.Tensor>>;
      param_groups: TorchRecord[];
    };
    close(opt.state['0'].exp_avg!, refs.checkpoint.exp_avg_0);
    assert.equal(opt.state['0'].step!.item(), refs.checkpoint.step);
    assert.equal(opt.param_groups[0]!.lr, 1e-3);
    assert.deepEqual(opt.param_groups[0]!.betas, [0.9, 0.999]);
    assert.deepEqual(opt.param_groups[0]!.params, [0, 1, 2, 3]);
    assert.deepEqual(
      [ck.epoch, ck.best, ck.name, ck.flags, ck.shape],
      [3, 0.25, 'mlp', [true, false, null], [2, 3]],
    );
  });
  it('every storage type: float16/bfloat16 widened, int64/int16/int8/uint8 to int32, bool', async () => {
    const t = (await k.io.loadTorch(`${dir}/dtypes.pt`)) as Record<string, k.Tensor>;
    const want: Record<string, string> = {
      f32: 'float32',
      f64: 'float64',
      f16: 'float32',
      bf16: 'float32',
      i64: 'int32',
      i32: 'int32',
      i16: 'int32',
      i8: 'int32',
      u8: 'int32',
      bool: 'bool',
      scalar: 'float32',
    };
    for (const [name, dtype] of Object.entries(want)) {
      assert.equal(t[name]!.dtype, dtype, name);
      assert.deepEqual(t[name]!.toArray(), refs.dtypes[name], name);
    }
  });
  it('views keep their offsets and strides and share one storage', async () => {
    const v = (await k.io.loadTorch(`${dir}/views.pt`)) as Record<string, k.Tensor>;
    for (const name of ['grid', 'transposed', 'slice', 'row'])
      assert.deepEqual(v[name]!.toArray(), refs.views[name], name);
    assert.equal(v.transposed!.storage, v.grid!.storage);
    assert.equal(v.slice!.storage, v.grid!.storage);
    assert.deepEqual(
      [v.transposed!.strides, v.slice!.strides, v.slice!.offset, v.row!.offset],
      [[1, 5], [5, 2], 5, 10],
    );
  });
  it('the legacy (non-zip) format and deflate-compressed archives', async () => {
    const legacy = (await k.io.loadTorch(`${dir}/legacy.pt`)) as Record<string, k.Tensor>;
    for (const [name, values] of Object.entries(refs.legacy)) close(legacy[name]!, values, 0);
    const a = (await k.io.loadTorch(`${dir}/mlp.pt`)) as Record<string, k.Tensor>;
    const b = (await k.io.loadTorch(`${dir}/mlp-deflated.pt`)) as Record<string, k.Tensor>;
    for (const name of Object.keys(a)) assert.deepEqual(b[name]!.toArray(), a[name]!.toArray());
  });
});

describe('k.io.loadTorch refuses hostile files with a CheckpointError', () => {
  const rejects = (bytes: Uint8Array, pattern: RegExp) => {
    assert.throws(
      () => decodeTorch(bytes, 'x.pt'),
      (e: unknown) => e instanceof k.CheckpointError && pattern.test((e as Error).message),
    );
  };
  it('a pickle calling os.system (made by Python) is refused by name; nothing runs', async () => {
    await assert.rejects(
      k.io.loadTorch(`${dir}/evil.pt`),
      /refuses to load global 'posix\.system'/,
    );
    rejects(
      torchZip(new Pickle().global('builtins', 'eval').str('1').op(0x85, 0x52).bytes()),
      /'builtins\.eval'/,
    );
    rejects(torchZip(new Pickle().str('os').str('system').op(0x93).bytes()), /'os\.system'/);
    // An allowed global that is not callable (a storage type) cannot be called either.
    rejects(
      torchZip(new Pickle().global('torch', 'FloatStorage').op(0x29, 0x52).bytes()),
      /refuses to call global torch\.FloatStorage/,
    );
  });
  it('sizes, strides and offsets beyond the storage; storages larger than their data', () => {
    const data = { '0': new Float32Array([1, 2, 3, 4]) };
    rejects(
      torchZip(new Pickle().tensor('0', 4, 0, [1_000_000_000_000], [1]).bytes(), data),
      /reaches element 999999999999 of a 4-element storage/,
    );
    rejects(torchZip(new Pickle().tensor('0', 4, 3, [2], [1]).bytes(), data), /reaches element 4/);
    rejects(
      torchZip(new Pickle().tensor('0', 4, -1, [2], [1]).bytes(), data),
      /offset -1 is invalid/,
    );
    rejects(
      torchZip(new Pickle().tensor('0', 2 ** 40, 0, [2], [1]).bytes(), data),
      /holds 16 bytes, 4398046511104/,
    );
    rejects(
      torchZip(new Pickle().tensor('1', 4, 0, [2], [1]).bytes(), data),
      /storage '1' is missing/,
    );
    // A valid one for contrast.
    const ok = decodeTorch(
      torchZip(new Pickle().tensor('0', 4, 1, [2], [2]).bytes(), data),
    ) as k.Tensor;
    assert.deepEqual(ok.toArray(), [2, 4]);
  });
  it('truncated and corrupt archives, bad pickles', () => {
    const good = readFileSync(`${dir}/mlp.pt`);
    rejects(good.subarray(0, good.length / 2), /no end-of-central-directory record/);
    rejects(good.subarray(0, 3), /not a PyTorch file/);
    rejects(torchZip(Uint8Array.from([0x80, 2, 0x68, 5, 0x2e])), /memo key 5 is undefined/);
    rejects(torchZip(Uint8Array.from([0x80, 2, 0x61, 0x2e])), /stack underflow/);
    rejects(torchZip(Uint8Array.from([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f])), /truncated/);
    rejects(torchZip(Uint8Array.from([0x80, 2, 0x69, 0x2e])), /unsupported pickle opcode 0x69/);
    rejects(torchZip(new Pickle().bytes().subarray(0, 2)), /truncated/);
  });
});

/** A small deterministic generator for the fuzz test (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = Uint8Array.from(src);
  const pick = () => Math.floor(r() * b.length);
  switch (Math.floor(r() * 6)) {
    case 0: // flip a few bytes
      for (let i = 0; i < 1 + r() * 4; i++) b[pick()] = Math.floor(r() * 256);
      return b;
    case 1: // truncate
      return b.subarray(0, pick());
    case 2: {
      // a 32-bit field set to an extreme value
      const at = Math.min(pick(), b.length - 4);
      new DataView(b.buffer).setUint32(
        at,
        [0xffffffff, 0x7fffffff, 0x80000000, b.length * 2][Math.floor(r() * 4)]!,
        true,
      );
      return b;
    }
    case 3: {
      // splice in a repeated chunk
      const at = pick();
      const chunk = b.subarray(at, at + Math.floor(r() * 64));
      const out = new Uint8Array(b.length + chunk.length);
      out.set(b.subarray(0, at));
      out.set(chunk, at);
      out.set(b.subarray(at), at + chunk.length);
      return out;
    }
    case 4: {
      // delete a chunk
      const at = pick();
      const rest = b.subarray(Math.min(b.length, at + Math.floor(r() * 32)));
      const out = new Uint8Array(at + rest.length);
      out.set(b.subarray(0, at));
      out.set(rest, at);
      return out;
    }
    default: // small increments to one byte (sizes, lengths, opcodes)
      b[pick()]! += 1 + Math.floor(r() * 3);
      return b;
  }
}

describe('fuzzing loadTorch', () => {
  it('4000 mutations of the fixtures give a value or a CheckpointError, fast and without large allocations', () => {
    const files = ['mlp', 'cnn', 'checkpoint', 'dtypes', 'views', 'legacy', 'mlp-deflated'].map(
      (n) => readFileSync(`${dir}/${n}.pt`),
    );
    const r = rng(12345);
    const counts = { ok: 0, refused: 0 };
    const before = process.memoryUsage().arrayBuffers;
    let slowest = 0;
    for (let i = 0; i < 4000; i++) {
      const bytes = mutate(files[i % files.length]!, r);
      const t0 = performance.now();
      try {
        decodeTorch(bytes, 'fuzz.pt');
        counts.ok++;
      } catch (e) {
        if (!(e instanceof k.CheckpointError)) {
          throw new Error(`mutation ${i} threw ${(e as Error).name}: ${(e as Error).message}`);
        }
        counts.refused++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    console.log(
      `# fuzz: ${counts.ok} decoded, ${counts.refused} refused, slowest ${slowest.toFixed(1)} ms, array buffers +${(grown / 2 ** 20).toFixed(1)} MiB`,
    );
    assert.ok(counts.refused > 1000 && counts.ok > 100, JSON.stringify(counts));
    assert.ok(grown < 64 * 2 ** 20, `array buffers grew by ${grown} bytes`);
    assert.ok(slowest < 1000, `one decode took ${slowest} ms`);
  });
});
