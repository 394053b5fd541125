/**
 * `runLayerTest`: the checks every layer must pass — output shape, parameter count, state-dict
 * round trip (bit for bit), gradients of the forward in float64 against central differences, and
 * one plain SGD step lowering a loss.
 *
 * @example
 * ```ts
 * runLayerTest(() => new k.nn.Linear(3, 2), [4, 3], { expectedParams: 8, expectedOutputShape: [4, 2] });
 * ```
 */
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { gradcheck } from './gradcheck.js';

/** A module with a one-tensor forward. */
export type Layer = k.nn.Module<[Tensor], Tensor>;

/** Options of `runLayerTest`. */
export interface LayerTestOptions {
  /** The expected `numParameters()`. */
  expectedParams: number;
  /** The expected output shape for `inputShape`. */
  expectedOutputShape: readonly number[];
  /** Builds the input (float values in [-2, 2) by default); int32 for index inputs. */
  makeInput?: (shape: readonly number[], g: k.Generator) => Tensor;
  /** Expected state-dict keys, in order (PyTorch's for the equivalent module). */
  expectedKeys?: readonly string[];
  /** Called before every forward (reseeding a dropout generator makes the forward repeatable). */
  beforeForward?: () => void;
  /** Skip the gradient check (e.g. a layer whose output is piecewise constant). */
  skipGradcheck?: boolean;
  /** Gradcheck tolerances (defaults 1e-5 absolute, 1e-3 relative). */
  atol?: number;
  rtol?: number;
  /** Learning rate of the SGD step (default 0.05). */
  lr?: number;
}

function defaultInput(shape: readonly number[], g: k.Generator): Tensor {
  return k.rand(shape, { generator: g }).mul(4).sub(2);
}

function run(layer: Layer, x: Tensor, options: LayerTestOptions): Tensor {
  options.beforeForward?.();
  return layer.forward(x);
}

function sameBits(a: Tensor, b: Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shapes differ`);
  assert.equal(a.dtype, b.dtype, `${what}: dtypes differ`);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) assert.fail(`${what}: element ${i} differs: ${x[i]} vs ${y[i]}`);
  }
}

/** Mean squared distance to a fixed target, for the SGD check. */
function lossOf(out: Tensor, target: Tensor): Tensor {
  return out.sub(target).square().mean();
}

/**
 * Runs the standard layer checks; throws (an assertion error) naming the failing check. The
 * layer is built several times with `makeLayer` (fresh random parameters each time).
 */
export function runLayerTest(
  makeLayer: () => Layer,
  inputShape: readonly number[],
  options: LayerTestOptions,
): void {
  const g = new k.Generator(11);
  const make = options.makeInput ?? defaultInput;
  const x = make(inputShape, g);
  const layer = makeLayer();

  // Output shape and parameter count.
  const out = run(layer, x, options);
  assert.deepEqual([...out.shape], [...options.expectedOutputShape], 'output shape');
  assert.equal(layer.numParameters(), options.expectedParams, 'parameter count');
  assert.equal(
    layer.parameters().reduce((a, p) => a + p.numel(), 0),
    options.expectedParams,
    'parameters() sizes',
  );
  if (options.expectedKeys)
    assert.deepEqual(Object.keys(layer.stateDict()), [...options.expectedKeys], 'state-dict keys');

  // State-dict round trip: a fresh layer loaded from this one computes the same bits.
  const other = makeLayer();
  const result = other.loadStateDict(layer.stateDict());
  assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] }, 'loadStateDict result');
  for (const [key, t] of Object.entries(other.stateDict()))
    sameBits(t, layer.stateDict()[key]!, `stateDict['${key}'] after load`);
  layer.eval();
  other.eval();
  sameBits(run(other, x, options), run(layer, x, options), 'eval output after load');
  layer.train();
  other.train();
  sameBits(run(other, x, options), run(layer, x, options), 'training output after load');

  // Gradients of the forward in float64, with respect to the input (when float) and parameters.
  if (!options.skipGradcheck) {
    const layer64 = makeLayer().to('float64');
    const params = layer64.parameters();
    const x64 = x.dtype === 'float32' ? x.to('float64').requiresGrad_() : x;
    const inputs = [x64, ...params];
    gradcheck((input) => run(layer64, input!, options), inputs, {
      atol: options.atol,
      rtol: options.rtol,
    });
  }

  // One SGD step on the parameters (or on the input for parameter-free layers) lowers the loss.
  const trained = makeLayer();
  const xs = x.dtype === 'float32' ? x.detach().clone().requiresGrad_() : x;
  const target = k.randn(options.expectedOutputShape, { generator: g });
  const vars = trained.parameters().length > 0 ? trained.parameters() : [xs];
  const before = lossOf(run(trained, xs, options), target);
  before.backward();
  const lr = options.lr ?? 0.05;
  k.noGrad(() => {
    for (const p of vars) {
      assert.ok(p.grad, 'every trained tensor gets a gradient');
      p.sub_(p.grad, lr);
    }
  });
  const after = k.noGrad(() => lossOf(run(trained, xs, options), target));
  assert.ok(
    after.item() < before.item(),
    `one SGD step should lower the loss: ${before.item()} -> ${after.item()}`,
  );
}
