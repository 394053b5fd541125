// Filter expressions over runs: precedence, comparisons of numbers, strings, booleans, missing
// values and times, quoting, sorting; and bad expressions, each with the column of the problem.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareFieldValues,
  compileFilter,
  FilterError,
  fieldGetter,
} from '../../src/track/filter.js';
import type { RunSummary } from '../../src/track/types.js';

function run(
  name: string,
  params: RunSummary['params'],
  metrics: RunSummary['metrics'],
  extra: Partial<RunSummary> = {},
): RunSummary {
  return {
    id: `${name.padEnd(32, '0')}`.slice(0, 32),
    experimentId: 1,
    experiment: 'mnist',
    name,
    status: 'finished',
    startTime: Date.parse('2026-06-01T00:00:00Z'),
    endTime: Date.parse('2026-06-01T00:01:40Z'),
    heartbeat: 0,
    seed: 1,
    kilnVersion: '0.1.0',
    gitCommit: null,
    config: null,
    host: 'h',
    pid: 1,
    runDir: null,
    params,
    tags: { team: name === 'a' ? 'vision' : 'nlp' },
    metrics,
    ...extra,
  };
}

const runs = [
  run(
    'a',
    { 'optimizer.lr': 0.001, 'optimizer.name': 'adam', layers: '3', flag: true },
    { val_accuracy: 0.95, 'val acc': 1 },
  ),
  run(
    'b',
    { 'optimizer.lr': 0.1, 'optimizer.name': 'sgd', layers: 2, flag: false },
    { val_accuracy: 0.85, loss: Number.NaN },
  ),
  run(
    'c',
    { 'optimizer.lr': 0.005, 'optimizer.name': "o'brien" },
    { val_accuracy: 0.92 },
    { status: 'running', endTime: null, startTime: Date.parse('2026-07-01T00:00:00Z') },
  ),
];
const select = (expr: string) =>
  runs
    .filter(compileFilter(expr))
    .map((r) => r.name)
    .join('');

describe('filter expressions', () => {
  it('combines comparisons with and, or, not and parentheses, and binds and tighter than or', () => {
    assert.equal(select('metrics.val_accuracy > 0.9 and params.optimizer.lr < 0.01'), 'ac');
    assert.equal(select("params.optimizer.name = 'sgd' or metrics.val_accuracy >= 0.95"), 'ab');
    assert.equal(
      select(
        "params.optimizer.name = 'sgd' or params.optimizer.name = 'adam' and metrics.val_accuracy < 0.9",
      ),
      'b',
    );
    assert.equal(
      select(
        "(params.optimizer.name = 'sgd' or params.optimizer.name = 'adam') and metrics.val_accuracy < 0.9",
      ),
      'b',
    );
    assert.equal(select('not metrics.val_accuracy > 0.9'), 'b');
    assert.equal(select('NOT (metrics.val_accuracy > 0.9 AND status = "running")'), 'ab');
  });

  it('compares numbers with numeric strings, strings with strings, and booleans', () => {
    assert.equal(select('params.layers >= 2.5'), 'a'); // '3' logged as a string
    assert.equal(select('params.layers == 2'), 'b');
    assert.equal(select('params.flag = true'), 'a');
    assert.equal(select('params.flag != true'), 'b');
    assert.equal(select("params.optimizer.name <> 'adam'"), 'bc');
    assert.equal(select("params.optimizer.name = 'o\\'brien'"), 'c');
    assert.equal(select("name contains 'b'"), 'b');
    assert.equal(select('params.optimizer.lr < 1e-2'), 'ac');
    assert.equal(select('metrics.val_accuracy > -.5'), 'abc');
  });

  it('treats missing values as SQL NULL: false in comparisons, matched by = null', () => {
    assert.equal(select('params.flag != true'), 'b'); // c has no flag: not selected
    assert.equal(select('params.flag = null'), 'c');
    assert.equal(select('params.flag != null'), 'ab');
    assert.equal(select('metrics.loss > 0 or metrics.loss <= 0'), ''); // NaN compares false
  });

  it('reads attributes, backtick-quoted keys, dates and durations', () => {
    assert.equal(select('metrics.`val acc` = 1'), 'a');
    assert.equal(select("status = 'running'"), 'c');
    assert.equal(select("start_time > '2026-06-15'"), 'c');
    assert.equal(select('duration = 100'), 'ab');
    assert.equal(select("tags.team = 'nlp' and experiment = 'mnist'"), 'bc');
  });

  it('sorts numbers numerically and missing values last in both directions', () => {
    const acc = fieldGetter('metrics.loss');
    assert.equal(compareFieldValues(acc(runs[0]!), acc(runs[1]!), 1), 0); // both missing (NaN, absent)
    const lr = fieldGetter('params.optimizer.lr');
    const sorted = [...runs]
      .sort((x, y) => compareFieldValues(lr(x), lr(y), -1))
      .map((r) => r.name);
    assert.deepEqual(sorted, ['b', 'c', 'a']);
    const layers = fieldGetter('params.layers');
    assert.deepEqual(
      [...runs].sort((x, y) => compareFieldValues(layers(x), layers(y), -1)).map((r) => r.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      [...runs].sort((x, y) => compareFieldValues(layers(x), layers(y), 1)).map((r) => r.name),
      ['b', 'a', 'c'],
    );
  });

  it('reports bad expressions with the column of the problem', () => {
    const cases: [string, number, RegExp][] = [
      ['metrics.val_accuracy > ', 24, /expected a field or a value after '>', found 'the end'/],
      ['metrics.val_accuracy > 0.9 and', 31, /expected a field or a value, found 'the end'/],
      ['metrics.x 0.9', 11, /expected a comparison .* after 'metrics.x', found '0.9'/],
      ['(metrics.x > 1', 15, /expected '\)' to close the '\(' at column 1/],
      ['metrics.x > 1)', 14, /expected 'and', 'or' or the end, found '\)'/],
      ["name = 'open", 8, /unterminated string/],
      [
        'foo > 1',
        1,
        /unknown field 'foo'; use params.<key>, metrics.<key>, tags.<key> or one of id, name/,
      ],
      ['params > 1', 1, /'params' needs a key/],
      ['metrics.x ! 1', 11, /'!' must be followed by '='/],
      ['metrics.x > 1 # 2', 15, /unexpected character '#'/],
      ['metrics.x > 12abc', 13, /'12abc' is not a number/],
      ['', 1, /the expression is empty/],
      ['metrics.x > and', 13, /found 'and'/],
    ];
    for (const [expr, column, message] of cases) {
      assert.throws(
        () => compileFilter(expr),
        (e: Error) => {
          assert.ok(e instanceof FilterError, `${expr}: ${e}`);
          assert.equal(e.position + 1, column, `column of '${expr}': ${e.message}`);
          assert.match(e.message, message);
          assert.match(e.message, new RegExp(`^bad filter at column ${column}: `));
          assert.ok(!e.message.includes('\n'));
          return true;
        },
      );
    }
    assert.throws(() => fieldGetter('metrics.a > 1'), /expected one field name/);
  });
});
