import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';

const { nn } = k;

class Block extends nn.Module<[Tensor], Tensor> {
  norm = new nn.LayerNorm(4);
  fc = new nn.Linear(4, 4);
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.norm.forward(x)).relu();
  }
}

class Net extends nn.Module<[Tensor], Tensor> {
  scale = new nn.Parameter(k.ones([1]));
  stem = new nn.Linear(3, 4);
  layers = [new Block(), new Block()];
  heads = { main: new nn.Linear(4, 2), aux: new nn.Linear(4, 1, { bias: false }) };
  steps = new nn.Buffer(k.zeros([], { dtype: 'int32' }));
  scratch = new nn.Buffer(k.zeros([2]), { persistent: false });
  plain = k.ones([5]); // a plain tensor field is not state
  forward(x: Tensor): Tensor {
    let h = this.stem.forward(x).mul(this.scale);
    for (const b of this.layers) h = b.forward(h);
    return this.heads.main.forward(h);
  }
}

describe('Module field walking and naming', () => {
  it('names parameters PyTorch-style in field order, through arrays and plain objects', () => {
    const net = new Net();
    assert.deepEqual(
      net.namedParameters().map(([n]) => n),
      [
        'scale',
        'stem.weight',
        'stem.bias',
        'layers.0.norm.weight',
        'layers.0.norm.bias',
        'layers.0.fc.weight',
        'layers.0.fc.bias',
        'layers.1.norm.weight',
        'layers.1.norm.bias',
        'layers.1.fc.weight',
        'layers.1.fc.bias',
        'heads.main.weight',
        'heads.main.bias',
        'heads.aux.weight',
      ],
    );
    assert.deepEqual(
      net.namedBuffers().map(([n]) => n),
      ['steps', 'scratch'],
    );
    assert.deepEqual(
      net.namedChildren().map(([n]) => n),
      ['stem', 'layers.0', 'layers.1', 'heads.main', 'heads.aux'],
    );
    assert.equal(net.modules().length, 1 + 5 + 4);
    assert.deepEqual(
      net
        .namedModules()
        .map(([n]) => n)
        .slice(0, 4),
      ['', 'stem', 'layers.0', 'layers.0.norm'],
    );
    assert.ok(net.parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad));
  });

  it('stateDict holds parameters then persistent buffers per module, detached and shared', () => {
    const net = new Net();
    const sd = net.stateDict();
    assert.deepEqual(
      Object.keys(sd).slice(0, 4),
      ['scale', 'steps', 'stem.weight', 'stem.bias'],
      "the root's own parameters, then its buffers, then its children (PyTorch's order)",
    );
    assert.ok(!('scratch' in sd) && !('plain' in sd));
    assert.equal(Object.keys(sd).length, 14 + 1);
    assert.equal(sd['stem.weight']!.requiresGrad, false);
    assert.equal(sd['stem.weight']!.storage, net.stem.weight.storage);
  });

  it('shared parameters are listed once but saved under every name', () => {
    class Tied extends nn.Module<[Tensor], Tensor> {
      enc = new nn.Linear(3, 3, { bias: false });
      dec = new nn.Linear(3, 3, { bias: false });
      constructor() {
        super();
        this.dec.weight = this.enc.weight;
      }
      forward(x: Tensor): Tensor {
        return this.dec.forward(this.enc.forward(x));
      }
    }
    const t = new Tied();
    assert.equal(t.parameters().length, 1);
    assert.equal(t.numParameters(), 9);
    assert.deepEqual(Object.keys(t.stateDict()), ['enc.weight', 'dec.weight']);
  });

  it('train/eval recurse; apply visits children first; zeroGrad clears grads', () => {
    const net = new Net();
    net.eval();
    assert.ok(net.modules().every((m) => !m.training));
    net.train();
    assert.ok(net.modules().every((m) => m.training));
    const seen: string[] = [];
    new nn.Sequential(new nn.Linear(1, 1), new nn.ReLU()).apply((m) =>
      seen.push(m.constructor.name),
    );
    assert.deepEqual(seen, ['Linear', 'ReLU', 'Sequential']);
    net
      .forward(k.randn([2, 3]))
      .sum()
      .backward();
    assert.ok(net.stem.weight.grad);
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === null));
  });

  it('numParameters counts all or only trainable', () => {
    const net = new Net();
    const total = 1 + 16 + 2 * (8 + 20) + 10 + 4;
    assert.equal(net.numParameters(), total);
    net.stem.weight.requiresGrad = false;
    assert.equal(net.numParameters({ trainableOnly: true }), total - 12);
  });

  it('Parameter shares the storage of its tensor and Buffer never requires grad', () => {
    const base = k.ones([2]);
    const p = new nn.Parameter(base);
    assert.equal(p.storage, base.storage);
    assert.equal(p.isLeaf, true);
    assert.equal(new nn.Parameter(base, false).requiresGrad, false);
    assert.equal(new nn.Buffer(k.ones([2], { requiresGrad: true })).requiresGrad, false);
  });
});

describe('loadStateDict', () => {
  it('copies in place, converting dtypes, and returns empty key lists', () => {
    const a = new nn.Linear(2, 2);
    const b = new nn.Linear(2, 2);
    const storage = b.weight.storage;
    const sd = a.stateDict();
    sd.bias = sd.bias!.to('float64');
    assert.deepEqual(b.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
    assert.equal(b.weight.storage, storage, 'in place');
    assert.deepEqual(b.weight.toArray(), a.weight.toArray());
    assert.equal(b.bias!.dtype, 'float32');
  });

  it('strict errors list missing, unexpected and mis-shaped keys, and copy nothing', () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
    const before = m.stateDict()['1.weight']!.toArray();
    const sd: Record<string, Tensor> = {
      '0.weight': k.zeros([2, 2]),
      '0.bias': k.zeros([3]),
      '1.weight': k.full([3], 7),
      extra: k.zeros([1]),
    };
    assert.throws(
      () => m.loadStateDict(sd),
      (e: Error) =>
        e instanceof k.ValueError &&
        e.message.includes("size mismatch for '0.weight': got [2,2], the module has [3,2]") &&
        e.message.includes(
          "missing keys: '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked'",
        ) &&
        e.message.includes("unexpected keys: 'extra'"),
    );
    assert.deepEqual(m.stateDict()['1.weight']!.toArray(), before, 'nothing copied');
  });

  it('non-strict loads what matches and reports the rest; shapes still checked', () => {
    const m = new nn.Linear(2, 2);
    const result = m.loadStateDict(
      { weight: k.full([2, 2], 3), other: k.zeros([1]) },
      { strict: false },
    );
    assert.deepEqual(result, { missingKeys: ['bias'], unexpectedKeys: ['other'] });
    assert.deepEqual(m.weight.toArray(), [
      [3, 3],
      [3, 3],
    ]);
    assert.throws(
      () => m.loadStateDict({ weight: k.zeros([3]) }, { strict: false }),
      /size mismatch/,
    );
  });
});

describe('summary, to(dtype), toString', () => {
  it('summary lists layers with output shapes and totals, leaving the model unchanged', () => {
    const net = new nn.Sequential(
      new nn.Linear(4, 8),
      new nn.BatchNorm1d(8),
      new nn.Dropout(0.5),
      new nn.Linear(8, 3),
    );
    net[1].parameters()[0]!.requiresGrad = false;
    const running = (net[1] as k.nn.BatchNorm1d).runningMean!.toArray();
    const s = net.summary([2, 4]);
    assert.deepEqual(
      s.rows.map((r) => [r.name, r.type, r.outputShape, r.numParams]),
      [
        ['0', 'Linear', [2, 8], 40],
        ['1', 'BatchNorm1d', [2, 8], 16],
        ['2', 'Dropout', [2, 8], 0],
        ['3', 'Linear', [2, 3], 27],
      ],
    );
    assert.deepEqual(s.outputShape, [2, 3]);
    assert.deepEqual([s.totalParams, s.trainableParams, s.nonTrainableParams], [83, 75, 8]);
    const text = s.toString();
    assert.match(text, /0 \(Linear\)\s+\[2, 8\]\s+40/);
    assert.match(text, /Non-trainable params: 8/);
    assert.ok(
      net.modules().every((m) => m.training),
      'training flags restored',
    );
    assert.deepEqual((net[1] as k.nn.BatchNorm1d).runningMean!.toArray(), running);
    assert.equal(Object.hasOwn(net[0]!, 'forward'), false, 'hooks removed');
  });

  it('summary of nested modules indents by depth; int32 input for embeddings', () => {
    class Model extends nn.Module<[Tensor], Tensor> {
      emb = new nn.Embedding(10, 4);
      block = new Block();
      forward(x: Tensor): Tensor {
        return this.block.forward(this.emb.forward(x));
      }
    }
    const s = new Model().summary([2, 5], { dtype: 'int32' });
    assert.deepEqual(
      s.rows.map((r) => [r.name, r.depth, r.outputShape]),
      [
        ['emb', 1, [2, 5, 4]],
        ['block', 1, [2, 5, 4]],
        ['block.norm', 2, [2, 5, 4]],
        ['block.fc', 2, [2, 5, 4]],
      ],
    );
    assert.equal(s.totalParams, 40 + 8 + 20);
  });

  it('print: true logs the table; plain subclasses need no type arguments', (t) => {
    class Plain extends nn.Module {
      fc = new nn.Linear(2, 1);
      forward(x: Tensor): Tensor {
        return this.fc.forward(x);
      }
    }
    const log = t.mock.method(console, 'log', () => {});
    const s = new Plain().summary([1, 2], { print: true });
    assert.equal(log.mock.callCount(), 1);
    assert.equal(log.mock.calls[0]!.arguments[0], s.toString());
    assert.match(s.toString(), /^Model: Plain/);
  });

  it('to(float64) converts parameters and float buffers in their fields', () => {
    const net = new Net().to('float64');
    assert.ok(net.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad));
    assert.equal(net.steps.dtype, 'int32');
    assert.equal(net.layers[1]!.fc.weight.dtype, 'float64');
    assert.equal(net.heads.aux.weight.dtype, 'float64');
    assert.equal(net.forward(k.randn([2, 3], { dtype: 'float64' })).dtype, 'float64');
  });

  it('toString renders nested modules like PyTorch', () => {
    const s = String(new nn.Sequential(new nn.Linear(4, 2), new nn.ReLU()));
    assert.equal(
      s,
      'Sequential(\n  (0): Linear(in_features=4, out_features=2, bias=true)\n  (1): ReLU()\n)',
    );
  });
});
