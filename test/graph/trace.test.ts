import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { nn } = k;

class Block extends nn.Module<[k.Tensor], k.Tensor> {
  norm = new nn.LayerNorm(4);
  fc = new nn.Linear(4, 4);
  forward(x: k.Tensor): k.Tensor {
    const unused = x.exp().sum(); // dead code
    void unused;
    return this.fc.forward(this.norm.forward(x)).relu();
  }
}

class Net extends nn.Module<[k.Tensor], k.Tensor> {
  layers = [new Block(), new Block()];
  table = k.arange(4).reshape([1, 4]);
  forward(x: k.Tensor): k.Tensor {
    let h = x;
    for (const b of this.layers) h = b.forward(h);
    // A constant subgraph: folded into one constant.
    return h.add(this.table.mul(2).sub(1));
  }
}

describe('graph.trace', () => {
  it('records primitives and composites with module paths, shapes and dtypes', () => {
    const g = k.graph.trace(new Net().eval(), [k.randn([3, 4])]);
    assert.deepEqual(
      g.nodes.map((n) => `${n.path}:${n.op}`),
      [
        'layers.0.norm:layerNorm',
        'layers.0.fc:linear',
        'layers.0:relu',
        'layers.1.norm:layerNorm',
        'layers.1.fc:linear',
        'layers.1:relu',
        ':add',
      ],
    );
    const ln = g.nodes[0]!;
    assert.equal(ln.composite, true);
    assert.deepEqual(ln.attrs, { axis: -1, eps: 1e-5 });
    assert.deepEqual(
      ln.inputs.map((v) => v?.name),
      ['input', 'layers.0.norm.weight', 'layers.0.norm.bias'],
    );
    assert.deepEqual(g.outputs[0]!.shape, [3, 4]);
    assert.equal(g.outputs[0]!.dtype, 'float32');
    assert.deepEqual(
      g.parameters.map((p) => p.name),
      [
        'layers.0.norm.weight',
        'layers.0.norm.bias',
        'layers.0.fc.weight',
        'layers.0.fc.bias',
        'layers.1.norm.weight',
        'layers.1.norm.bias',
        'layers.1.fc.weight',
        'layers.1.fc.bias',
      ],
    );
    // arange * 2 - 1 folded into one constant holding the traced values.
    assert.equal(g.constants.length, 1);
    assert.deepEqual(g.constants[0].data!.toArray(), [[-1, 1, 3, 5]]);
  });

  it('without folding keeps the constant subgraph; dead code is always removed', () => {
    const g = k.graph.trace(new Net().eval(), [k.randn([3, 4])], { foldConstants: false });
    const ops = g.nodes.map((n) => n.op);
    assert.deepEqual(ops.slice(-3), ['mul', 'sub', 'add']);
    assert.ok(!ops.includes('exp'), 'the unused exp().sum() is gone');
  });

  it('dynamic axes mark the dims that follow the input', () => {
    const model = new nn.Sequential(new nn.Linear(4, 6), new nn.Flatten({ startDim: 0 }));
    const g = k.graph.trace(model, [k.randn([2, 4])], { dynamicAxes: [[0]] });
    assert.deepEqual(g.inputs[0]!.dynamic, [true, false]);
    assert.deepEqual(g.nodes[0].outputs[0]!.dynamic, [true, false]);
    assert.deepEqual(g.outputs[0]!.dynamic, [true]);
  });

  it('restores forward methods and leaves no recorder behind, even when the forward throws', () => {
    const fc = new nn.Linear(4, 2);
    const own = Object.hasOwn(fc, 'forward');
    assert.throws(() => k.graph.trace(fc, [k.randn([2, 3])]), /3 features|inner dimensions|shape/i);
    assert.equal(Object.hasOwn(fc, 'forward'), own);
    // A plain forward after a failed trace records no graph nodes anywhere.
    const y = fc.forward(k.randn([2, 4]));
    assert.deepEqual(y.shape, [2, 2]);
    assert.throws(() => k.graph.trace(fc, []), /non-empty list/);
  });

  it('composites compute exactly as before and the hooks add no nodes outside a trace', () => {
    k.manualSeed(0);
    const conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
    const x = k.randn([1, 2, 5, 5], { requiresGrad: true });
    const y = conv.forward(x);
    y.sum().backward();
    assert.ok(x.grad, 'gradients flow through a composite');
    const g = k.graph.trace(conv, [x.detach()]);
    assert.deepEqual(
      g.nodes.map((n) => n.op),
      ['conv'],
    );
  });
});
