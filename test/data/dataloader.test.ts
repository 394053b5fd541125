// Datasets, collation, samplers and the DataLoader: batching, reproducible shuffling, dropLast,
// prefetch, custom collate and the TensorDataset fast path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function xy(n: number): [Tensor, Tensor] {
  const x = k.arange(n * 2).reshape([n, 2]);
  const y = k.arange(n, undefined, 1, { dtype: 'int32' });
  return [x, y];
}

async function collect<B>(loader: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

/** The labels of each batch of a loader over `xy`, i.e. the visiting order of the items. */
async function order(loader: AsyncIterable<[Tensor, Tensor]>): Promise<number[][]> {
  return (await collect(loader)).map(([, y]) => [...y.dataSync()]);
}

describe('datasets', () => {
  it('TensorDataset returns row slices and checks first dims, naming the shapes', () => {
    const [x, y] = xy(5);
    const ds = new k.data.TensorDataset(x, y);
    assert.equal(ds.length, 5);
    const [x3, y3] = ds.get(3);
    assert.deepEqual(x3.toArray(), [6, 7]);
    assert.equal(y3.item(), 3);
    assert.throws(
      () => new k.data.TensorDataset(x, k.zeros([4])),
      (e: unknown) => e instanceof k.ShapeError && /\[5,2\], \[4\]/.test(e.message),
    );
    assert.throws(() => ds.get(5), k.ValueError);
  });

  it('Subset, ConcatDataset and MapDataset index through', () => {
    const a: k.data.Dataset<number> = { length: 3, get: (i) => i };
    const b: k.data.Dataset<number> = { length: 2, get: (i) => 10 + i };
    const cat = new k.data.ConcatDataset([a, b]);
    assert.equal(cat.length, 5);
    assert.deepEqual(
      range(5).map((i) => cat.get(i)),
      [0, 1, 2, 10, 11],
    );
    const sub = new k.data.Subset(cat, [4, 0]);
    assert.deepEqual([sub.get(0), sub.get(1)], [11, 0]);
    assert.throws(() => new k.data.Subset(a, [3]), k.ValueError);
    const doubled = new k.data.MapDataset(a, (v, i) => v * 2 + i);
    assert.equal(doubled.get(2), 6);
  });
});

describe('defaultCollate', () => {
  it('stacks tensors and numbers per tuple position and object key', () => {
    const [x, y] = k.data.defaultCollate([
      [k.ones([2]), 1],
      [k.zeros([2]), 2],
    ]);
    assert.deepEqual(x.shape, [2, 2]);
    assert.deepEqual(y.toArray(), [1, 2]);
    const obj = k.data.defaultCollate([
      { img: k.ones([1, 2]), id: 'a' },
      { img: k.ones([1, 2]), id: 'b' },
    ]);
    assert.deepEqual(obj.img.shape, [2, 1, 2]);
    assert.deepEqual(obj.id, ['a', 'b']);
  });

  it('names the item whose shape differs', () => {
    assert.throws(
      () => k.data.defaultCollate([k.ones([2]), k.ones([3])]),
      (e: unknown) =>
        e instanceof k.DataError &&
        /item 1 has shape \[3\], item 0 has shape \[2\]/.test(e.message),
    );
  });
});

describe('DataLoader', () => {
  it('batches in order, with length and a short last batch', async () => {
    const ds = new k.data.TensorDataset(...xy(10));
    const loader = new k.data.DataLoader(ds, { batchSize: 4 });
    assert.equal(loader.length, 3);
    const batches = await collect(loader);
    assert.deepEqual(
      batches.map(([x]) => x.shape),
      [
        [4, 2],
        [4, 2],
        [2, 2],
      ],
    );
    assert.deepEqual(batches[2]![1].toArray(), [8, 9]);
    assert.equal(batches[0]![1].dtype, 'int32');
    assert.deepEqual(batches[1]![0].toArray(), [
      [8, 9],
      [10, 11],
      [12, 13],
      [14, 15],
    ]);
  });

  it('dropLast drops the short batch', async () => {
    const loader = new k.data.DataLoader(new k.data.TensorDataset(...xy(10)), {
      batchSize: 4,
      dropLast: true,
    });
    assert.equal(loader.length, 2);
    assert.deepEqual(await order(loader), [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('shuffle: a permutation per epoch, the same epochs for the same seed', async () => {
    const ds = new k.data.TensorDataset(...xy(20));
    const make = () => new k.data.DataLoader(ds, { batchSize: 6, shuffle: true, seed: 7 });
    const a = make();
    const b = make();
    const a1 = await order(a);
    const a2 = await order(a);
    assert.deepEqual(
      [...a1.flat()].sort((p, q) => p - q),
      range(20),
    );
    assert.notDeepEqual(a1, a2);
    assert.deepEqual(await order(b), a1);
    assert.deepEqual(await order(b), a2);
    const other = await order(new k.data.DataLoader(ds, { batchSize: 6, shuffle: true, seed: 8 }));
    assert.notDeepEqual(other, a1);
  });

  it('the fast path and the generic collate give the same batches', async () => {
    const [x, y] = xy(9);
    const tds = new k.data.TensorDataset(x.transpose(0, 1).contiguous().transpose(0, 1), y);
    const generic = new k.data.MapDataset(tds, (item) => item);
    const fast = await collect(
      new k.data.DataLoader(tds, { batchSize: 4, shuffle: true, seed: 1 }),
    );
    const slow = await collect(
      new k.data.DataLoader(generic, { batchSize: 4, shuffle: true, seed: 1 }),
    );
    assert.equal(fast.length, slow.length);
    fast.forEach(([fx, fy], i) => {
      assert.deepEqual(fx.toArray(), slow[i]![0].toArray());
      assert.deepEqual(fy.toArray(), slow[i]![1].toArray());
      assert.equal(fy.dtype, slow[i]![1].dtype);
    });
    // A Subset of a TensorDataset keeps the fast path and maps the indices.
    const sub = new k.data.Subset(tds, [8, 2, 5]);
    const [[sx, sy]] = await collect(new k.data.DataLoader(sub, { batchSize: 3 }));
    assert.deepEqual(sy!.toArray(), [8, 2, 5]);
    assert.deepEqual(sx!.select(0, 0).toArray(), [16, 17]);
  });

  it('custom collate, per-batch transform and async datasets', async () => {
    const ds: k.data.Dataset<number> = { length: 5, get: async (i) => i * i };
    const loader = new k.data.DataLoader(ds, {
      batchSize: 2,
      collate: (items) => items.reduce((a, b) => a + b, 0),
      transform: (sum) => sum * 10,
    });
    assert.deepEqual(await collect(loader), [10, 130, 160]);
  });

  it('prefetch builds the next batch ahead, and errors reach the consumer', async () => {
    const built: number[] = [];
    const ds: k.data.Dataset<number> = {
      length: 6,
      get: (i) => {
        built.push(i);
        if (i === 5) throw new Error('broken item 5');
        return i;
      },
    };
    const loader = new k.data.DataLoader(ds, { batchSize: 2, prefetch: 1 });
    const it = loader[Symbol.asyncIterator]();
    assert.deepEqual((await it.next()).value.toArray(), [0, 1]);
    // While the consumer waits on something else (here: one turn of the event loop, queued after
    // the loader's setImmediate), the next batch gets built.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(built, [0, 1, 2, 3]);
    assert.deepEqual((await it.next()).value.toArray(), [2, 3]);
    await assert.rejects(it.next(), /broken item 5/);
    assert.equal((await it.next()).done, true);
    const none = new k.data.DataLoader(ds, { batchSize: 2, prefetch: 0 });
    built.length = 0;
    const it0 = none[Symbol.asyncIterator]();
    await it0.next();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(built, [0, 1]);
    await it0.return?.();
  });

  it('validates its options', () => {
    const ds = new k.data.TensorDataset(...xy(4));
    assert.throws(() => new k.data.DataLoader(ds, { batchSize: 0 }), k.ValueError);
    assert.throws(
      () => new k.data.DataLoader(ds, { shuffle: true, sampler: new k.data.SequentialSampler(4) }),
      /mutually exclusive/,
    );
  });
});

describe('samplers', () => {
  it('Sequential and Random samplers cover the indices', () => {
    assert.deepEqual([...new k.data.SequentialSampler(4)], [0, 1, 2, 3]);
    const rs = new k.data.RandomSampler(10, { generator: new k.Generator(3) });
    const e1 = [...rs];
    assert.deepEqual(
      [...e1].sort((a, b) => a - b),
      range(10),
    );
    assert.deepEqual(e1, [...new k.data.RandomSampler(10, { generator: new k.Generator(3) })]);
    const more = [
      ...new k.data.RandomSampler(4, { numSamples: 10, generator: new k.Generator(0) }),
    ];
    assert.equal(more.length, 10);
    assert.deepEqual(more.slice(0, 4).sort(), [0, 1, 2, 3]);
    const repl = new k.data.RandomSampler(3, { replacement: true, numSamples: 50 });
    const draws = [...repl];
    assert.equal(draws.length, 50);
    assert.ok(draws.every((v) => v >= 0 && v < 3));
  });

  it('WeightedRandomSampler draws about in proportion to the weights', () => {
    const weights = [1, 2, 0, 7];
    const n = 20000;
    const s = new k.data.WeightedRandomSampler(weights, n, { generator: new k.Generator(11) });
    const counts = [0, 0, 0, 0];
    for (const i of s) counts[i]!++;
    assert.equal(counts[2], 0);
    weights.forEach((w, i) => {
      assert.ok(Math.abs(counts[i]! / n - w / 10) < 0.015, `index ${i}: ${counts[i]! / n}`);
    });
    const noRepl = [
      ...new k.data.WeightedRandomSampler(weights, 3, {
        replacement: false,
        generator: new k.Generator(1),
      }),
    ];
    assert.deepEqual([...noRepl].sort(), [0, 1, 3]);
    assert.throws(() => new k.data.WeightedRandomSampler([1, -1], 2), k.DataError);
    assert.throws(() => new k.data.WeightedRandomSampler([1, 0], 2, { replacement: false }), {
      name: 'ValueError',
      message: /cannot draw 2 samples without replacement from 1 non-zero weights/,
    });
  });

  it('balances an imbalanced dataset through the DataLoader', async () => {
    const labels = k.tensor(Int32Array.from(range(100), (i) => (i < 90 ? 0 : 1)));
    const w = k.data.classWeights(labels).dataSync();
    const perSample = Array.from(labels.dataSync(), (c) => w[c]!);
    const sampler = new k.data.WeightedRandomSampler(perSample, 4000, {
      generator: new k.Generator(2),
    });
    const loader = new k.data.DataLoader(new k.data.TensorDataset(labels), {
      batchSize: 100,
      sampler,
    });
    assert.equal(loader.length, 40);
    let ones = 0;
    for await (const [y] of loader) ones += y.sum().item();
    assert.ok(Math.abs(ones / 4000 - 0.5) < 0.04, `minority share ${ones / 4000}`);
  });
});
