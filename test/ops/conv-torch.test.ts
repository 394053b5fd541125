// Convolution, pooling and resampling against PyTorch (test/fixtures/torch-conv.json, written by
// make_conv_refs.py with PyTorch 1.13): outputs and the gradients of sum(out * gout) with respect
// to every input, in float64, with the input given contiguous and as a non-contiguous view.
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';
import { fromRef, type RefTensor } from '../nn/fixture.js';

interface ConvCase {
  op: string;
  label: string;
  options: Record<string, unknown>;
  inputs: Record<string, RefTensor>;
  gout: RefTensor;
  out: RefTensor;
  grads: Record<string, RefTensor>;
}

const refs = JSON.parse(
  readFileSync(new URL('../fixtures/torch-conv.json', import.meta.url), 'utf8'),
) as { torch: string; cases: ConvCase[] };

const tol = { atol: 1e-10, rtol: 1e-9 };

type Run = (inputs: Record<string, Tensor | undefined>, o: Record<string, unknown>) => Tensor;

/** Calls the kiln function of a case with PyTorch's options renamed as the fixture wrote them. */
const RUN: Record<string, Run> = {
  conv2d: (t, o) => k.F.conv2d(t.x!, t.weight!, t.bias, o),
  conv1d: (t, o) => k.F.conv1d(t.x!, t.weight!, t.bias, o),
  convTranspose2d: (t, o) => k.F.convTranspose2d(t.x!, t.weight!, t.bias, o),
  maxPool2d: (t, { kernelSize, ...o }) => k.F.maxPool2d(t.x!, kernelSize as number, o),
  maxPool1d: (t, { kernelSize, ...o }) => k.F.maxPool1d(t.x!, kernelSize as number, o),
  avgPool2d: (t, { kernelSize, ...o }) => k.F.avgPool2d(t.x!, kernelSize as number, o),
  avgPool1d: (t, { kernelSize, ...o }) => k.F.avgPool1d(t.x!, kernelSize as number, o),
  adaptiveAvgPool2d: (t, o) => k.F.adaptiveAvgPool2d(t.x!, o.outputSize as number),
  interpolate: (t, o) => k.F.interpolate(t.x!, o as k.F.InterpolateOptions),
};

/** The same values as a non-contiguous view (last two dims stored transposed). */
function strided(leaf: Tensor): Tensor {
  if (leaf.ndim < 2) return leaf;
  const t = k.noGrad(() => leaf.transpose(-1, -2).contiguous()).requiresGrad_();
  return t.transpose(-1, -2);
}

function check(
  c: ConvCase,
  layout: 'contiguous' | 'strided',
  dtype: k.DType = 'float64',
  close = tol,
): void {
  const leaves: Record<string, Tensor> = {};
  const inputs: Record<string, Tensor> = {};
  for (const [name, ref] of Object.entries(c.inputs)) {
    const leaf = fromRef(ref, dtype).requiresGrad_();
    const view = layout === 'strided' && name === 'x' ? strided(leaf) : leaf;
    inputs[name] = view;
    leaves[name] = view.isLeaf ? view : (view.gradFn?.next[0] as Tensor);
  }
  const out = RUN[c.op]!(inputs, c.options);
  assertClose(out, fromRef(c.out), close);
  out.mul(fromRef(c.gout, dtype)).sum().backward();
  for (const [name, ref] of Object.entries(c.grads)) {
    const leaf = leaves[name]!;
    if (!leaf.grad) throw new Error(`no gradient for ${name}`);
    // The strided input's leaf stores the last two dims transposed.
    const grad = leaf === inputs[name] ? leaf.grad : leaf.grad.transpose(-1, -2);
    try {
      assertClose(grad, fromRef(ref), close);
    } catch (e) {
      throw new Error(`grad of ${name}: ${(e as Error).message}`);
    }
  }
}

describe(`conv/pool/interpolate match PyTorch ${refs.torch} (float64, js backend)`, () => {
  const previous = k.getBackend();
  for (const [i, c] of refs.cases.entries()) {
    it(`${c.op} #${i} ${JSON.stringify(c.options)}`, () => {
      k.setBackend('js');
      try {
        check(c, 'contiguous');
        check(c, 'strided');
      } finally {
        k.setBackend(previous);
      }
    });
  }
});

/** The backends that load here (native only when its addon built). */
function availableBackends(): string[] {
  const previous = k.getBackend();
  const names = ['js'];
  try {
    k.setBackend('native');
    names.push('native');
  } catch {
    // No addon: js only.
  } finally {
    k.setBackend(previous);
  }
  return names;
}

describe('conv/pool/interpolate in float32 on every backend (kernels a backend lacks fall back to js)', () => {
  const previous = k.getBackend();
  for (const name of availableBackends()) {
    it(`${name}: every case within float32 tolerance of PyTorch`, () => {
      k.setBackend(name);
      try {
        for (const [i, c] of refs.cases.entries()) {
          try {
            check(c, 'strided', 'float32', { atol: 2e-4, rtol: 2e-4 });
          } catch (e) {
            throw new Error(`${c.op} #${i}: ${(e as Error).message}`);
          }
        }
      } finally {
        k.setBackend(previous);
      }
    });
  }
});
