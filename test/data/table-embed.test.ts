// Categorical columns encoded for embeddings (TablePreprocessor `embed`, the CategoryEmbedding
// layer): one index column per embedded column, first in the features and in the order asked;
// 0 for missing, rare and unseen levels; no one-hot columns or missing indicator for them; the
// layer looks up one vector per column, learns them, and a kiln train config with both trains.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel } from '../../src/cli/build.js';
import * as k from '../../src/index.js';

const { parseTable, TablePreprocessor } = k.data;
const csv = [
  'x,city,color,y',
  '1,rome,red,0',
  '2,oslo,blue,1',
  '3,rome,red,0',
  '4,lima,,1',
  '5,rome,blue,0',
  '6,oslo,red,1',
  '7,zagreb,green,0', // one zagreb, one lima: the tie goes by name, so zagreb is rare
].join('\n');
const table = parseTable(`${csv}\n8,paris,red,1\n`, 'cities.csv'); // paris: unseen
const train = [0, 1, 2, 3, 4, 5, 6];

describe('TablePreprocessor embed', () => {
  it('puts one index column per embedded column first, 0 for missing, rare and unseen', () => {
    const prep = TablePreprocessor.fit(
      table,
      { target: 'y', embed: ['color', 'city'], maxCategories: 3, missingIndicator: true },
      train,
    );
    assert.deepEqual(prep.featureNames, ['color.index', 'city.index', 'x']);
    const spec = prep.toJSON().features;
    const city = spec[1]!;
    assert.ok(city.kind === 'categorical' && city.embed);
    // The three most frequent cities, sorted; zagreb is rare.
    assert.deepEqual(city.kind === 'categorical' ? city.levels : null, ['lima', 'oslo', 'rome']);
    assert.equal(spec[0]!.indicator, false, 'a missing color has its own index instead');
    const rows = prep.transform(table).x.toArray() as number[][];
    assert.deepEqual(
      rows.map((r) => r[1]),
      [3, 2, 3, 1, 3, 2, 0, 0], // rome 3, oslo 2, lima 1; zagreb (rare) and paris (unseen) 0
    );
    assert.deepEqual(
      rows.map((r) => r[0]),
      [3, 1, 3, 0, 1, 3, 2, 3], // blue 1, green 2, red 3; the missing color 0
    );
    const again = TablePreprocessor.fromJSON(prep.toJSON()).transform(table).x.toArray();
    assert.deepEqual(again, rows);
  });

  it('refuses columns that are not categorical features', () => {
    const fit = (embed: string[]) => () => TablePreprocessor.fit(table, { target: 'y', embed });
    assert.throws(fit(['x']), /data\.embed: "x" is a numeric column; only categorical/);
    assert.throws(fit(['y']), /data\.embed: "y" is the target or dropped/);
    assert.throws(fit(['town']), /data\.embed: "town" is not a column of cities\.csv/);
    assert.throws(fit(['city', 'city']), /data\.embed: "city" is listed twice/);
  });
});

describe('CategoryEmbedding', () => {
  it('replaces the index columns by their vectors and passes the rest through', () => {
    const emb = new k.nn.CategoryEmbedding([3, 5], 2);
    const w = emb.weight.toArray() as number[][];
    const y = emb
      .forward(
        k.tensor([
          [1, 4, 0.5],
          [0, 2, -1],
        ]),
      )
      .toArray() as number[][];
    // Column 1's table starts after column 0's 3 rows.
    assert.deepEqual(y[0], [...w[1]!, ...w[3 + 4]!, 0.5]);
    assert.deepEqual(y[1], [...w[0]!, ...w[3 + 2]!, -1]);
  });

  it('learns only the vectors it looked up', () => {
    const emb = new k.nn.CategoryEmbedding([3, 5], 2);
    emb
      .forward(k.tensor([[1, 4, 0.5]]))
      .sum()
      .backward();
    const g = emb.weight.grad!.toArray() as number[][];
    const used = g.map((row) => row.some((v) => v !== 0));
    assert.deepEqual(used, [false, true, false, false, false, false, false, true]);
  });

  it('names the column of an index outside its table, and a too narrow input', () => {
    const emb = new k.nn.CategoryEmbedding([3, 5], 2);
    assert.throws(
      () => emb.forward(k.tensor([[1, 5, 0]])),
      /index 5 in input column 1 \(row 0\) is outside its table of 5 vectors/,
    );
    assert.throws(() => emb.forward(k.tensor([[1]])), /expected \[N, F\] with F >= 2/);
    assert.throws(() => new k.nn.CategoryEmbedding([], 2), /non-empty list/);
  });

  it('builds from a config in front of an MLP and trains on encoded rows', () => {
    const prep = TablePreprocessor.fit(table, { target: 'y', embed: ['city'] }, train);
    const { x, y } = prep.transform(table);
    const model = buildModel(
      [
        { type: 'CategoryEmbedding', numEmbeddings: [33], embeddingDim: 3 },
        { type: 'Linear', outFeatures: 2 },
      ],
      [x.shape[1]!],
    );
    const opt = new k.optim.Adam(model.parameters(), { lr: 0.05 });
    const loss = () => k.F.crossEntropy(model.forward(x) as k.Tensor, y!);
    const first = loss().item();
    for (let i = 0; i < 30; i++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    assert.ok(loss().item() < first / 2, `loss ${first} -> ${loss().item()}`);
  });
});
