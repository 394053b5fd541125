// Minimal hand-written model, optimizer and scheduler implementing the checkpoint interfaces with
// real tensors, standing in for nn.Module / optim.Optimizer / lrScheduler (not a test file).
import type {
  CheckpointModel,
  CheckpointOptimizer,
  CheckpointScheduler,
  OptimizerStateDict,
} from '../../src/io/index.js';
import { full, tensor } from '../../src/ops/creation.js';
import { fmtShape, ShapeError, ValueError } from '../../src/tensor/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Linear(inF, outF) plus a BatchNorm-like int32 counter, with PyTorch-style keys. */
export class StubModel implements CheckpointModel {
  weight: Tensor;
  bias: Tensor;
  tracked: Tensor;

  constructor(inF: number, outF: number, fill = 0) {
    this.weight = full([outF, inF], fill);
    this.bias = tensor(new Float64Array(outF).map((_, i) => fill + i / 3));
    this.tracked = tensor(new Int32Array([fill | 0]), { shape: [] });
  }

  stateDict(): Record<string, Tensor> {
    return {
      'fc.weight': this.weight,
      'fc.bias': this.bias,
      'bn.num_batches_tracked': this.tracked,
    };
  }

  loadStateDict(sd: Record<string, Tensor>, options: { strict?: boolean } = {}): void {
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !(k in own));
    if ((options.strict ?? true) && (missing.length || unexpected.length)) {
      throw new ValueError(
        `loadStateDict: missing ${missing.join(',')}; unexpected ${unexpected.join(',')}`,
      );
    }
    for (const [key, t] of Object.entries(own)) {
      const src = sd[key];
      if (!src) continue;
      if (src.shape.join() !== t.shape.join() || src.dtype !== t.dtype) {
        throw new ShapeError(
          `loadStateDict: ${key}: ${fmtShape(src.shape)} ${src.dtype} != ${fmtShape(t.shape)} ${t.dtype}`,
        );
      }
      t.storage.set(src.dataSync());
    }
  }
}

/** Adam-like state for two parameters: tensors and a scalar step per parameter. */
export class StubOptimizer implements CheckpointOptimizer {
  state: OptimizerStateDict['state'] = {};
  paramGroups: Record<string, unknown>[] = [
    { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, amsgrad: false, params: [0, 1] },
  ];

  constructor(model: StubModel, fill = 0) {
    this.state[0] = {
      step: fill,
      exp_avg: full(model.weight.shape, fill / 2),
      exp_avg_sq: full(model.weight.shape, fill / 4),
    };
    this.state[1] = { step: fill, exp_avg: full(model.bias.shape, -fill) };
  }

  stateDict(): OptimizerStateDict {
    return { state: this.state, paramGroups: this.paramGroups };
  }

  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length)
      throw new ValueError('loadStateDict: group count differs');
    for (const [index, row] of Object.entries(sd.state)) {
      const mine = this.state[Number(index)];
      if (!mine) throw new ValueError(`loadStateDict: no parameter ${index}`);
      for (const [name, v] of Object.entries(row)) {
        const cur = mine[name];
        if (
          typeof v !== 'number' &&
          typeof cur !== 'number' &&
          cur &&
          v.shape.join() !== cur.shape.join()
        ) {
          throw new ShapeError(`loadStateDict: state ${index}.${name} shape differs`);
        }
      }
    }
    this.state = sd.state;
    this.paramGroups = sd.paramGroups;
  }
}

/** ReduceLROnPlateau-like state, with an infinite `best` that plain JSON would lose. */
export class StubScheduler implements CheckpointScheduler {
  state: Record<string, unknown> = {
    lastEpoch: 0,
    best: Infinity,
    numBadEpochs: 0,
    lastLr: [0.01],
    mode: 'min',
  };

  stateDict(): Record<string, unknown> {
    return structuredClone(this.state);
  }

  loadStateDict(sd: Record<string, unknown>): void {
    this.state = structuredClone(sd);
  }
}
