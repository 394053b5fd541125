// Optimizer stateDict / loadStateDict edges found by mutation testing of src/optim/optimizer.ts:
// snapshots that share nothing with the live optimizer, dtype conversion on load, state that a
// load replaces, and the errors of malformed state dicts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as k from '../../src/index.js';

const f64 = (values: number[]) => k.tensor(values, { dtype: 'float64', requiresGrad: true });
const grad = (values: number[]) => k.tensor(values, { dtype: 'float64' });
const values = (t: k.Tensor) => Array.from(t.dataSync());

function stepped(): { opt: k.optim.Adam; a: k.Tensor; b: k.Tensor } {
  const a = f64([1, 2]);
  const b = f64([3]);
  const opt = new k.optim.Adam([{ params: [a] }, { params: [b], betas: [0.5, 0.6] }], {
    lr: 0.1,
    amsgrad: true,
  });
  a.grad = grad([1, -1]);
  b.grad = grad([2]);
  opt.step();
  return { opt, a, b };
}

describe('stateDict is a snapshot', () => {
  test('option arrays and state tensors are copies; step counts are numbers', () => {
    const { opt, a } = stepped();
    const sd = opt.stateDict();
    const saved = sd.paramGroups[1]!.betas as number[];
    saved[0] = 0.1;
    assert.deepEqual(opt.paramGroups[1]!.betas, [0.5, 0.6]);
    (sd.state[0]!.exp_avg as k.Tensor).fill_(7);
    assert.notDeepEqual(values(opt.state.get(a)!.exp_avg as k.Tensor), [7, 7]);
    assert.equal(sd.state[0]!.step, 1);
    assert.deepEqual(
      sd.paramGroups.map((g) => g.params),
      [[0], [1]],
    );
  });

  test('state of a tensor outside the groups is left out', () => {
    const { opt } = stepped();
    opt.state.set(k.zeros([1]), { step: 3 });
    assert.deepEqual(Object.keys(opt.stateDict().state), ['0', '1']);
  });
});

describe('loadStateDict', () => {
  test('converts state tensors to the parameters dtype, detached copies', () => {
    const { opt } = stepped();
    const sd = opt.stateDict();
    const a32 = k.tensor([1, 2], { requiresGrad: true });
    const b32 = k.tensor([3], { requiresGrad: true });
    const other = new k.optim.Adam([{ params: [a32] }, { params: [b32] }], { amsgrad: true });
    other.loadStateDict(sd);
    const m = other.state.get(a32)!.exp_avg as k.Tensor;
    assert.equal(m.dtype, 'float32');
    assert.deepEqual(
      values(m),
      Array.from(new Float32Array(values(sd.state[0]!.exp_avg as k.Tensor))),
    );
    assert.equal(m.requiresGrad, false);
    (sd.state[0]!.exp_avg as k.Tensor).fill_(9);
    assert.notEqual(values(m)[0], 9, 'loaded state is a copy');
    assert.deepEqual(other.paramGroups[1]!.betas, [0.5, 0.6], 'options come from the state dict');
    (sd.paramGroups[1]!.betas as number[])[0] = 0.1;
    assert.deepEqual(other.paramGroups[1]!.betas, [0.5, 0.6], 'option arrays are copied');
  });

  test('replaces the whole state: parameters absent from the state dict start afresh', () => {
    const { opt, a, b } = stepped();
    const sd = opt.stateDict();
    delete sd.state[1];
    opt.loadStateDict(sd);
    assert.equal(opt.state.has(a), true);
    assert.equal(opt.state.has(b), false);
  });

  test('state tensors taken by reference from the state dict would alias: they are cloned', () => {
    const { opt, a } = stepped();
    const sd = opt.stateDict();
    opt.loadStateDict(sd);
    a.grad = grad([1, 1]);
    opt.step();
    assert.equal(sd.state[0]!.step, 1);
    assert.notDeepEqual(
      values(sd.state[0]!.exp_avg as k.Tensor),
      values(opt.state.get(a)!.exp_avg as k.Tensor),
    );
  });

  const bad: [string, (sd: k.optim.OptimizerStateDict<k.optim.AdamOptions>) => unknown, RegExp][] =
    [
      ['not an object', () => null, /^Adam\.loadStateDict: expected \{ state, paramGroups \}/],
      [
        'no paramGroups array',
        (sd) => ({ ...sd, paramGroups: 'x' }),
        /expected \{ state, paramGroups \}/,
      ],
      ['no state object', (sd) => ({ ...sd, state: 'x' }), /expected \{ state, paramGroups \}/],
      ['null state', (sd) => ({ ...sd, state: null }), /expected \{ state, paramGroups \}/],
      [
        'group without params',
        (sd) => ({
          ...sd,
          paramGroups: [{ ...sd.paramGroups[0], params: undefined }, sd.paramGroups[1]],
        }),
        /^Adam\.loadStateDict: param group 0 has 0 parameters in the state dict, 1 in the optimizer/,
      ],
      [
        'unknown parameter index',
        (sd) => ({ ...sd, state: { ...sd.state, 7: sd.state[0] } }),
        /^Adam\.loadStateDict: state for unknown parameter index 7/,
      ],
      [
        'state neither number nor tensor',
        (sd) => ({ ...sd, state: { ...sd.state, 0: { ...sd.state[0], exp_avg: 'x' } } }),
        /^Adam\.loadStateDict: state 'exp_avg' of parameter 0 is neither a number nor a tensor/,
      ],
      [
        'state null',
        (sd) => ({ ...sd, state: { ...sd.state, 0: { ...sd.state[0], exp_avg: null } } }),
        /state 'exp_avg' of parameter 0 is neither a number nor a tensor/,
      ],
      [
        'state of another rank',
        (sd) => ({
          ...sd,
          state: { ...sd.state, 0: { ...sd.state[0], exp_avg: k.zeros([2, 1]) } },
        }),
        /^Adam\.loadStateDict: state 'exp_avg' of parameter 0 has shape \[2,1\], the parameter has \[2\]/,
      ],
      [
        'state of another size',
        (sd) => ({
          ...sd,
          state: { ...sd.state, 1: { ...sd.state[1], exp_avg_sq: k.zeros([2]) } },
        }),
        /state 'exp_avg_sq' of parameter 1 has shape \[2\], the parameter has \[1\]/,
      ],
    ];
  for (const [what, corrupt, message] of bad) {
    test(`error: ${what}`, () => {
      const { opt } = stepped();
      const before = opt.stateDict();
      assert.throws(
        () =>
          opt.loadStateDict(
            corrupt(opt.stateDict()) as k.optim.OptimizerStateDict<k.optim.AdamOptions>,
          ),
        {
          name: 'ValueError',
          message,
        },
      );
      assert.deepEqual(Object.keys(opt.stateDict().state), Object.keys(before.state), 'state kept');
    });
  }
});
