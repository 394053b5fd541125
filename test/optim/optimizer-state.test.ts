// Optimizer state and base behaviour found untested by mutation testing of src/optim: stateDict
// snapshots that share nothing with the live optimizer, dtype conversion on load, state that a
// load replaces, malformed state dicts, NaN through running maxima (as torch.maximum / amax),
// state created on demand, and the param-group, zeroGrad and gradient-shape checks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as k from '../../src/index.js';
import { maxRelDiff } from './refs.js';

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
        'state of rank 0 for a parameter of shape [1]',
        (sd) => ({ ...sd, state: { ...sd.state, 1: { ...sd.state[1], exp_avg: k.tensor(5) } } }),
        /state 'exp_avg' of parameter 1 has shape \[\], the parameter has \[1\]/,
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

describe('running maxima propagate NaN, as torch.maximum', () => {
  for (const [name, make, key] of [
    [
      'Adam amsgrad',
      (p: k.Tensor) => new k.optim.Adam([p], { lr: 0.1, amsgrad: true }),
      'max_exp_avg_sq',
    ],
    ['Adamax', (p: k.Tensor) => new k.optim.Adamax([p], { lr: 0.1 }), 'exp_inf'],
  ] as const) {
    test(`${name}: a NaN gradient leaves ${key} NaN, also after finite steps`, () => {
      const p = f64([1, 2]);
      const opt = make(p);
      for (const g of [
        [Number.NaN, 1],
        [0.5, 1],
      ]) {
        p.grad = grad(g);
        opt.step();
        const s = values(opt.state.get(p)![key] as k.Tensor);
        assert.ok(Number.isNaN(s[0]!), `${key}[0] is ${s[0]}`);
        assert.ok(Number.isFinite(s[1]!));
      }
    });
  }
});

describe('state created on demand', () => {
  test('Adam keeps max_exp_avg_sq only with amsgrad, as PyTorch', () => {
    for (const amsgrad of [false, true]) {
      const p = f64([1, 2]);
      const opt = new k.optim.Adam([p], { amsgrad });
      p.grad = grad([1, -1]);
      opt.step();
      const want = ['exp_avg', 'exp_avg_sq', ...(amsgrad ? ['max_exp_avg_sq'] : []), 'step'];
      assert.deepEqual(Object.keys(opt.state.get(p)!).sort(), want);
    }
  });

  test('RMSprop keeps only the buffers its options need, as PyTorch', () => {
    const keys = (o: Record<string, unknown>) => {
      const p = f64([1, 2]);
      const opt = new k.optim.RMSprop([p], o);
      p.grad = grad([1, -1]);
      opt.step();
      return Object.keys(opt.state.get(p)!).sort();
    };
    assert.deepEqual(keys({}), ['square_avg', 'step']);
    assert.deepEqual(keys({ momentum: 0.5 }), ['momentum_buffer', 'square_avg', 'step']);
    assert.deepEqual(keys({ centered: true }), ['grad_avg', 'square_avg', 'step']);
    const p = f64([1, 2]);
    const opt = new k.optim.RMSprop([p], { alpha: 0.75, centered: true });
    for (const g of [
      [4, -2],
      [0, 0],
    ]) {
      p.grad = grad(g);
      opt.step();
    }
    assert.equal(opt.state.get(p)!.step, 2);
    // grad_avg = alpha * grad_avg + (1 - alpha) * grad, as PyTorch's lerp.
    assert.deepEqual(values(opt.state.get(p)!.grad_avg as k.Tensor), [0.75, -0.375]);
  });

  test('RMSprop: momentum and centered switched on between steps start from zero buffers', () => {
    const p = f64([1, -2]);
    const opt = new k.optim.RMSprop([p], { lr: 0.1, alpha: 0.5 });
    const want = [1, -2];
    const sq = [0, 0];
    const ga = [0, 0];
    const buf = [0, 0];
    const gs = [
      [1, 2],
      [-1, 0.5],
      [2, -3],
    ];
    gs.forEach((g, t) => {
      if (t === 1) {
        opt.paramGroups[0]!.momentum = 0.9;
        opt.paramGroups[0]!.centered = true;
      }
      p.grad = grad(g);
      opt.step();
      for (let i = 0; i < 2; i++) {
        sq[i] = 0.5 * sq[i]! + 0.5 * g[i]! * g[i]!;
        if (t === 0) {
          want[i] = want[i]! - (0.1 * g[i]!) / (Math.sqrt(sq[i]!) + 1e-8);
          continue;
        }
        ga[i] = 0.5 * ga[i]! + 0.5 * g[i]!;
        buf[i] = 0.9 * buf[i]! + g[i]! / (Math.sqrt(sq[i]! - ga[i]! * ga[i]!) + 1e-8);
        want[i] = want[i]! - 0.1 * buf[i]!;
      }
      assert.ok(maxRelDiff(values(p), want) < 1e-14, `step ${t + 1}: ${values(p)} vs ${want}`);
    });
  });

  test('Adagrad maximize climbs the gradient; Adadelta counts its steps', () => {
    const p = f64([1]);
    const opt = new k.optim.Adagrad([p], { lr: 0.5, maximize: true });
    p.grad = grad([2]);
    opt.step();
    assert.equal(values(p)[0], 1 - 0.5 * (-2 / (Math.sqrt(4) + 1e-10)));
    const q = f64([1]);
    const ada = new k.optim.Adadelta([q]);
    for (let i = 0; i < 2; i++) {
      q.grad = grad([1]);
      ada.step();
    }
    assert.equal(ada.state.get(q)!.step, 2);
  });

  test('Adagrad: state at construction and for added groups; a parameter without state gets it', () => {
    const a = f64([1, 2]);
    const b = f64([3]);
    const opt = new k.optim.Adagrad([a], { lr: 0.5, initialAccumulatorValue: 0.25 });
    assert.deepEqual(values(opt.stateDict().state[0]!.sum as k.Tensor), [0.25, 0.25]);
    assert.equal(opt.stateDict().state[0]!.step, 0);
    opt.addParamGroup({ params: [b], initialAccumulatorValue: 1 });
    assert.deepEqual(values(opt.state.get(b)!.sum as k.Tensor), [1]);
    // A state dict without b's state (an older checkpoint) leaves b to start afresh.
    const sd = opt.stateDict();
    delete sd.state[1];
    opt.loadStateDict(sd);
    assert.equal(opt.state.has(b), false);
    b.grad = grad([2]);
    opt.step();
    assert.equal(opt.state.get(b)!.step, 1);
    assert.deepEqual(values(opt.state.get(b)!.sum as k.Tensor), [5]);
    assert.ok(Math.abs(values(b)[0]! - (3 - (0.5 * 2) / (Math.sqrt(5) + 1e-10))) < 1e-15);
  });
});

describe('Optimizer base: groups, zeroGrad, step', () => {
  test('addParamGroup errors name the problem', () => {
    const a = f64([1]);
    const opt = new k.optim.SGD([a], { lr: 0.1 });
    const bad: [unknown, RegExp][] = [
      [undefined, /^SGD\.addParamGroup: a group needs a 'params' array/],
      [{ params: a }, /^SGD\.addParamGroup: a group needs a 'params' array/],
      [
        { params: [f64([1]), a] },
        /^SGD\.addParamGroup: parameter 1 of group 1 is already in another group/,
      ],
      [
        { params: [k.zeros([2], { dtype: 'int32' })] },
        /^SGD: parameter 0 is int32; only float tensors train/,
      ],
    ];
    for (const [group, message] of bad)
      assert.throws(() => opt.addParamGroup(group as k.optim.ParamGroupSpec), {
        name: 'ValueError',
        message,
      });
    const c = f64([2]);
    assert.throws(() => opt.addParamGroup({ params: [f64([0]), c, c] }), {
      message: /^SGD: parameter 2 appears twice in the same group/,
    });
    assert.equal(opt.paramGroups.length, 1, 'a rejected group is not added');
    opt.addParamGroup({ params: [c], lr: undefined, momentum: 0.5 });
    assert.equal(opt.paramGroups[1]!.lr, 0.1, 'an undefined option takes the default');
    assert.equal(opt.paramGroups[1]!.momentum, 0.5);
  });

  test('a list of groups and a list of tensors both work', () => {
    const a = f64([1]);
    const asGroups = new k.optim.SGD([{ params: [a], lr: 0.5 }], { lr: 0.1 });
    assert.equal(asGroups.paramGroups[0]!.lr, 0.5);
    assert.equal(asGroups.paramGroups[0]!.params[0], a);
    const asList = new k.optim.SGD([a], { lr: 0.1 });
    assert.deepEqual(
      asList.paramGroups.map((g) => g.params.length),
      [1],
    );
  });

  test('zeroGrad({ setToNone: false }) zeroes existing gradients and leaves missing ones null', () => {
    const a = f64([1, 2]);
    const b = f64([3]);
    const opt = new k.optim.SGD([a, b], { lr: 0.1 });
    a.grad = grad([5, 6]);
    opt.zeroGrad({ setToNone: false });
    assert.deepEqual(values(a.grad), [0, 0]);
    assert.equal(b.grad, null);
  });

  test('step reads gradients through views: a transposed (non-contiguous) gradient', () => {
    const w = k.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const opt = new k.optim.SGD([w], { lr: 1 });
    w.grad = k
      .tensor(
        [
          [1, 4],
          [2, 5],
          [3, 6],
        ],
        { dtype: 'float64' },
      )
      .transpose(0, 1);
    assert.equal(w.grad.isContiguous(), false);
    opt.step();
    assert.deepEqual(w.toArray(), [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    assert.equal(w.gradFn ?? null, null, 'the update is not recorded by autograd');
  });

  test('a gradient or a state tensor differing in one dim of a 2-d parameter is a ValueError', () => {
    for (const g of [[2], [2, 4], [2, 3, 1]]) {
      const w = k.zeros([2, 3], { dtype: 'float64', requiresGrad: true });
      const opt = new k.optim.SGD([w], { lr: 0.1, momentum: 0.9 });
      w.grad = k.zeros(g, { dtype: 'float64' });
      assert.throws(() => opt.step(), {
        name: 'ValueError',
        message: new RegExp(
          `^SGD\\.step: gradient of shape \\[${g.join(',')}\\] for a parameter of shape \\[2,3\\]`,
        ),
      });
    }
    const w = k.zeros([2, 3], { dtype: 'float64', requiresGrad: true });
    const opt = new k.optim.SGD([w], { lr: 0.1, momentum: 0.9 });
    w.grad = k.ones([2, 3], { dtype: 'float64' });
    opt.step();
    const sd = opt.stateDict();
    sd.state[0]!.momentum_buffer = k.zeros([2, 4], { dtype: 'float64' });
    assert.throws(() => opt.loadStateDict(sd), {
      message:
        /state 'momentum_buffer' of parameter 0 has shape \[2,4\], the parameter has \[2,3\]/,
    });
  });

  test('a gradient of another rank but the same size is a ValueError', () => {
    const w = k.tensor([1, 2, 3, 4], { dtype: 'float64', shape: [2, 2], requiresGrad: true });
    const opt = new k.optim.SGD([w], { lr: 0.1 });
    w.grad = grad([1, 1, 1, 1]);
    assert.throws(() => opt.step(), {
      name: 'ValueError',
      message: /^SGD\.step: gradient of shape \[4\] for a parameter of shape \[2,2\]/,
    });
  });
});
