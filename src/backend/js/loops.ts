import type { TypedArray } from '../../tensor/dtype.js';
import type { View } from '../backend.js';

/**
 * Strided loops for the js backend. Each elementwise or reduction kernel is a loop body (a short
 * JavaScript statement over `out[o]`, `x0[i0]`, `x1[i1]`, ...) compiled once into its own function
 * with `new Function`. Why: a shared loop calling a per-op callback becomes megamorphic and stays
 * ~10x slower in V8; one compiled function per body keeps every loop monomorphic and inlined.
 *
 * Before looping, dims are coalesced (adjacent dims that are contiguous in every operand merge)
 * and the innermost dim runs as a tight stride loop; outer dims advance with a counter array.
 */

/** Helpers the compiled bodies may call by name. */
const LIB = {
  erf,
  roundHalfEven,
};

type Loop = (
  shape: readonly number[],
  out: TypedArray,
  oOff: number,
  oStr: readonly number[],
  inputs: readonly TypedArray[],
  offs: readonly number[],
  strs: readonly (readonly number[])[],
  p0: number,
  p1: number,
) => void;

// Keyed by body first: bodies are long but few and reused as the same string objects (their
// hash is computed once), so a call hashes only the short dtype variant.
const cache = new Map<string, Map<string, Loop>>();

/** Compiles (once) a loop over `nIn` strided inputs and one strided output with this body. */
export function compileLoop(nIn: number, body: string, variant = ''): Loop {
  let variants = cache.get(body);
  if (variants === undefined) {
    variants = new Map();
    cache.set(body, variants);
  }
  const key = `${nIn}${variant}`;
  let loop = variants.get(key);
  if (loop) return loop;
  const ins = Array.from({ length: nIn }, (_, k) => k);
  const src = `
const erf = lib.erf, roundHalfEven = lib.roundHalfEven;
return function loop(shape, out, oOff, oStr, inputs, offs, strs, p0, p1) {
  ${ins.map((k) => `const x${k} = inputs[${k}], s${k} = strs[${k}];`).join('\n  ')}
  const nd = shape.length;
  if (nd === 0) {
    const o = oOff; ${ins.map((k) => `const i${k} = offs[${k}];`).join(' ')}
    ${body}
    return;
  }
  const inner = shape[nd - 1];
  if (inner === 0) return;
  const oS = oStr[nd - 1]; ${ins.map((k) => `const t${k} = s${k}[nd - 1];`).join(' ')}
  if (nd === 1 && oS === 1${ins.map((k) => ` && t${k} === 1`).join('')}) {
    // Contiguous operands: a flat indexed loop, which V8 compiles several times tighter.
    ${ins.map((k) => `const c${k} = offs[${k}];`).join(' ')}
    for (let j = 0; j < inner; j++) {
      const o = oOff + j; ${ins.map((k) => `const i${k} = c${k} + j;`).join(' ')}
      ${body}
    }
    return;
  }
  let outer = 1;
  for (let d = 0; d < nd - 1; d++) outer *= shape[d];
  const idx = new Int32Array(nd);
  let ob = oOff; ${ins.map((k) => `let b${k} = offs[${k}];`).join(' ')}
  for (let it = 0; it < outer; it++) {
    let o = ob; ${ins.map((k) => `let i${k} = b${k};`).join(' ')}
    for (let j = 0; j < inner; j++) {
      ${body}
      o += oS; ${ins.map((k) => `i${k} += t${k};`).join(' ')}
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      ob += oStr[d]; ${ins.map((k) => `b${k} += s${k}[d];`).join(' ')}
      if (idx[d] < shape[d]) break;
      const n = shape[d];
      idx[d] = 0;
      ob -= oStr[d] * n; ${ins.map((k) => `b${k} -= s${k}[d] * n;`).join(' ')}
    }
  }
};`;
  loop = new Function('lib', src)(LIB) as Loop;
  variants.set(key, loop);
  return loop;
}

/**
 * Merges dims that are contiguous across all operands and drops size-1 dims, so that most
 * loops run over one or two dims. Returns the reduced shape and per-operand strides.
 */
export function coalesce(
  shape: readonly number[],
  strideSets: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strideSets.every((s, k) => outStrides[k]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      strideSets.forEach((s, k) => {
        outStrides[k]![last] = s[d]!;
      });
      continue;
    }
    outShape.push(n);
    strideSets.forEach((s, k) => {
      outStrides[k]!.push(s[d]!);
    });
  }
  return { shape: outShape, strides: outStrides };
}

/** Runs a compiled body over out and inputs, all of out's shape. */
export function runLoop(body: string, out: View, inputs: readonly View[], p0 = 0, p1 = 0): void {
  const { shape, strides } = coalesce(out.shape, [out.strides, ...inputs.map((v) => v.strides)]);
  // One compiled copy per combination of dtypes keeps each loop's array accesses monomorphic.
  let variant: string = out.dtype;
  for (const v of inputs) variant += v.dtype;
  compileLoop(inputs.length, body, variant)(
    shape,
    out.storage,
    out.offset,
    strides[0]!,
    inputs.map((v) => v.storage),
    inputs.map((v) => v.offset),
    strides.slice(1),
    p0,
    p1,
  );
}

/** The statement that stores value expression `expr` into `out[o]` for the output dtype. */
export function storeBody(expr: string, outIsBool: boolean): string {
  return outIsBool
    ? `{ const v = ${expr}; out[o] = (v !== 0 && v !== false) ? 1 : 0; }`
    : `out[o] = ${expr};`;
}

/**
 * The error function, within 10 ulp in float64. Below |x| = 2.5 it sums the series
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)), whose terms are all
 * positive (the alternating Maclaurin series cancels and loses digits near 2.5); above, it
 * uses the continued fraction of erfc (Lentz), which converges quickly there. Needed by GELU.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax > 6) return x < 0 ? -1 : 1;
  let r: number;
  if (ax < 2.5) {
    const x2 = 2 * ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
  } else {
    // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
    const tiny = 1e-300;
    let f = ax;
    let c = ax;
    let d = 0;
    for (let n = 1; n < 300; n++) {
      const a = n / 2;
      d = ax + a * d;
      d = d === 0 ? tiny : d;
      c = ax + a / c;
      c = c === 0 ? tiny : c;
      d = 1 / d;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

/** Rounds half to even, as `torch.round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
