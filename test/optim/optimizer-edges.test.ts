// Optimizer and scheduler cases that mutation testing showed untested: SGD's momentum-0 path with
// dampening, nesterov's preconditions, parameters that are views at an offset into a larger
// storage, and ReduceLROnPlateau in max mode and with absolute thresholds (against PyTorch).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as k from '../../src/index.js';

describe('SGD options', () => {
  test('momentum 0 ignores dampening: plain steps p -= lr * g, as PyTorch', () => {
    const p = k.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new k.optim.SGD([p], { lr: 0.1, momentum: 0, dampening: 0.5 });
    for (let i = 0; i < 3; i++) {
      p.grad = k.tensor([1, -2], { dtype: 'float64' });
      opt.step();
    }
    const [a, b] = p.toArray() as number[];
    assert.ok(Math.abs(a! - 0.7) < 1e-12 && Math.abs(b! - 2.6) < 1e-12, `got ${a}, ${b}`);
  });

  test('dampening scales later momentum updates, not the first', () => {
    // torch: buf = g on step 1, then buf = 0.9 * buf + (1 - 0.5) * g.
    const p = k.tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = new k.optim.SGD([p], { lr: 1, momentum: 0.9, dampening: 0.5 });
    p.grad = k.tensor([1], { dtype: 'float64' });
    opt.step();
    p.grad = k.tensor([1], { dtype: 'float64' });
    opt.step();
    assert.ok(Math.abs((p.toArray() as number[])[0]! - -(1 + 1.4)) < 1e-12);
  });

  test('nesterov needs momentum > 0 and dampening 0 (PyTorch raises the same)', () => {
    const p = [k.zeros([2], { requiresGrad: true })];
    for (const options of [
      { nesterov: true },
      { nesterov: true, momentum: 0, dampening: 0 },
      { nesterov: true, momentum: 0.9, dampening: 0.1 },
      { nesterov: true, momentum: 0.9, dampening: -0.5 },
    ]) {
      assert.throws(() => new k.optim.SGD(p, { lr: 0.1, ...options }), {
        name: 'ValueError',
        message: /SGD: nesterov needs momentum > 0 and dampening 0/,
      });
    }
    assert.doesNotThrow(
      () => new k.optim.SGD(p, { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0 }),
    );
    assert.throws(() => new k.optim.SGD(p, { lr: 0.1, dampening: Number.NaN }), {
      message: /SGD: invalid dampening NaN/,
    });
  });
});

describe('optimizers on a parameter that views the middle of a larger storage', () => {
  const make: Record<string, (p: k.Tensor[]) => k.optim.Optimizer> = {
    SGD: (p) => new k.optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }),
    Adam: (p) => new k.optim.Adam(p, { lr: 0.1, amsgrad: true }),
    AdamW: (p) => new k.optim.AdamW(p, { lr: 0.1 }),
    RMSprop: (p) => new k.optim.RMSprop(p, { lr: 0.1, momentum: 0.5, centered: true }),
    Adagrad: (p) => new k.optim.Adagrad(p, { lr: 0.1 }),
    Adamax: (p) => new k.optim.Adamax(p, { lr: 0.1, weightDecay: 0.01 }),
    Adadelta: (p) => new k.optim.Adadelta(p, { lr: 1 }),
    Lion: (p) => new k.optim.Lion(p, { lr: 0.1 }),
  };
  for (const [name, build] of Object.entries(make)) {
    for (const dtype of ['float32', 'float64'] as const) {
      test(`${name} ${dtype}: updates exactly the view, as it updates a standalone copy`, () => {
        const values = Array.from({ length: 10 }, (_, i) => i + 1);
        const base = k.tensor(values, { dtype });
        const view = base.narrow(0, 3, 4);
        assert.equal(view.offset, 3);
        view.requiresGrad = true;
        const alone = k.tensor(values.slice(3, 7), { dtype, requiresGrad: true });
        const a = build([view]);
        const b = build([alone]);
        for (let step = 0; step < 3; step++) {
          const g = [0.5, -1, 2, -0.25].map((x) => x * (step + 1));
          view.grad = k.tensor(g, { dtype });
          alone.grad = k.tensor(g, { dtype });
          a.step();
          b.step();
        }
        const after = base.toArray() as number[];
        assert.deepEqual(after.slice(0, 3), [1, 2, 3], 'before the view: untouched');
        assert.deepEqual(after.slice(7), [8, 9, 10], 'after the view: untouched');
        assert.deepEqual(after.slice(3, 7), alone.toArray(), 'the view itself: updated');
        assert.notDeepEqual(after.slice(3, 7), [4, 5, 6, 7]);
      });
    }
  }
});

interface PlateauCase {
  options: {
    mode: 'min' | 'max';
    thresholdMode: 'rel' | 'abs';
    threshold: number;
    patience: number;
    factor: number;
    cooldown: number;
  };
  metrics: number[];
  lrs: number[];
}
const plateau = JSON.parse(
  readFileSync(new URL('../fixtures/plateau-refs.json', import.meta.url), 'utf8'),
) as { cases: PlateauCase[] };

describe('ReduceLROnPlateau against PyTorch (metric improves, then plateaus)', () => {
  for (const c of plateau.cases) {
    const o = c.options;
    test(`${o.mode} ${o.thresholdMode} threshold ${o.threshold} patience ${o.patience} cooldown ${o.cooldown}`, () => {
      const p = k.zeros([1], { requiresGrad: true });
      const opt = new k.optim.SGD([p], { lr: 1 });
      const sched = new k.optim.lrScheduler.ReduceLROnPlateau(opt, o);
      const lrs = c.metrics.map((m) => {
        sched.step(m);
        return sched.getLastLr()[0];
      });
      assert.deepEqual(lrs, c.lrs);
    });
  }
});
