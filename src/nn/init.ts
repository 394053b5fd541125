/**
 * `k.nn.init`: in-place initializers, as `torch.nn.init`. Each fills the tensor under `noGrad`
 * (so parameters can be initialized), draws from the default generator unless a `generator`
 * option is given, and returns the tensor.
 *
 * @example
 * ```ts
 * const w = new k.nn.Parameter(k.zeros([8, 4]));
 * k.nn.init.kaimingUniform(w, { nonlinearity: 'relu' });
 * ```
 */
import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../ops/creation.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** Nonlinearities known to `calculateGain`, PyTorch's names. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** The option every initializer accepts. */
export interface InitOptions {
  /** The generator to draw from (the default generator otherwise). */
  generator?: Generator;
}

/** Options of the Kaiming initializers. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  /** 'fan_in' (default) preserves the forward variance, 'fan_out' the backward one. */
  mode?: 'fan_in' | 'fan_out';
  /** Default 'leaky_relu', as PyTorch. */
  nonlinearity?: Nonlinearity;
}

/**
 * The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`: 1 for linear,
 * convolutions and sigmoid; 5/3 for tanh; sqrt(2) for relu; sqrt(2 / (1 + slope^2)) for
 * leaky_relu (slope `param`, default 0.01); 3/4 for selu.
 *
 * @example
 * ```ts
 * k.nn.init.calculateGain('leaky_relu', 0.2); // 1.3867...
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope))
        throw new ValueError(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, as PyTorch.
 *
 * @example
 * ```ts
 * k.nn.init.calculateFanInAndFanOut(k.zeros([16, 3, 5, 5])); // { fanIn: 75, fanOut: 400 }
 * ```
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new ShapeError(
      `init: fan in and fan out need a tensor with at least 2 dims, got ${fmtShape(t.shape)}`,
    );
  }
  const receptive = t.shape.slice(2).reduce((a, d) => a * d, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

/** Fills t in place with values drawn by `draw`, keeping t's dtype and layout. */
function fillWith(t: Tensor, draw: () => number): Tensor {
  const values = new Float64Array(t.numel());
  for (let i = 0; i < values.length; i++) values[i] = draw();
  return noGrad(() => t.copy_(tensor(values, { shape: t.shape })));
}

/**
 * Fills with U(a, b) (defaults 0, 1).
 *
 * @example
 * ```ts
 * k.nn.init.uniform(w, { a: -0.1, b: 0.1 });
 * ```
 */
export function uniform(t: Tensor, options: InitOptions & { a?: number; b?: number } = {}): Tensor {
  const { a = 0, b = 1 } = options;
  if (!(a <= b)) throw new ValueError(`init.uniform: expected a <= b, got a=${a}, b=${b}`);
  const g = options.generator ?? defaultGenerator;
  return fillWith(t, () => a + (b - a) * g.uniform());
}

/**
 * Fills with N(mean, std^2) (defaults 0, 1).
 *
 * @example
 * ```ts
 * k.nn.init.normal(w, { std: 0.02 });
 * ```
 */
export function normal(
  t: Tensor,
  options: InitOptions & { mean?: number; std?: number } = {},
): Tensor {
  const { mean = 0, std = 1 } = options;
  if (!(std >= 0)) throw new ValueError(`init.normal: std must be non-negative, got ${std}`);
  const g = options.generator ?? defaultGenerator;
  return fillWith(t, () => mean + std * g.normal());
}

/** Fills with `value`. @example `k.nn.init.constant(b, 0.1)` */
export function constant(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

/** Fills with zeros. @example `k.nn.init.zeros(b)` */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills with ones. @example `k.nn.init.ones(gamma)` */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/**
 * Glorot/Xavier uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
 *
 * @example
 * ```ts
 * k.nn.init.xavierUniform(w, { gain: k.nn.init.calculateGain('tanh') });
 * ```
 */
export function xavierUniform(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, { a: -bound, b: bound, generator: options.generator });
}

/** Glorot/Xavier normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)). @example `k.nn.init.xavierNormal(w)` */
export function xavierNormal(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  return normal(t, { mean: 0, std, generator: options.generator });
}

function kaimingStd(t: Tensor, options: KaimingOptions, op: string): number {
  const mode = options.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out')
    throw new ValueError(`${op}: mode must be 'fan_in' or 'fan_out', got '${mode}'`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return gain / Math.sqrt(fan);
}

/**
 * He/Kaiming uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain from `nonlinearity` and `a`.
 *
 * @example
 * ```ts
 * k.nn.init.kaimingUniform(w, { a: Math.sqrt(5) }); // nn.Linear's default
 * ```
 */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options, 'kaimingUniform');
  return uniform(t, { a: -bound, b: bound, generator: options.generator });
}

/** He/Kaiming normal: N(0, std^2), std = gain / sqrt(fan). @example `k.nn.init.kaimingNormal(w, { nonlinearity: 'relu' })` */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  const std = kaimingStd(t, options, 'kaimingNormal');
  return normal(t, { mean: 0, std, generator: options.generator });
}

/**
 * A (semi-)orthogonal matrix from the QR decomposition of a normal draw (Householder, float64),
 * with R's diagonal signs folded in as PyTorch does, scaled by `gain`. Dims after the first are
 * flattened.
 *
 * @example
 * ```ts
 * k.nn.init.orthogonal(w, { gain: Math.SQRT2 });
 * ```
 */
export function orthogonal(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  if (t.ndim < 2)
    throw new ShapeError(`init.orthogonal: needs at least 2 dims, got ${fmtShape(t.shape)}`);
  const rows = t.shape[0]!;
  const cols = t.numel() / Math.max(rows, 1);
  const g = options.generator ?? defaultGenerator;
  // Draw rows x cols, then work on the tall orientation m >= n, as PyTorch transposes wide ones.
  const drawn = Array.from({ length: rows * cols }, () => g.normal());
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const a: number[][] = Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) =>
      rows >= cols ? drawn[i * cols + j]! : drawn[j * cols + i]!,
    ),
  );
  const q = householderQ(a, m, n);
  const gain = options.gain ?? 1;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const v = gain * q[i][j]!;
      if (rows >= cols) out[i * cols + j] = v;
      else out[j * cols + i] = v;
    }
  return noGrad(() => t.copy_(tensor(out, { shape: t.shape })));
}

/**
 * The thin Q (m x n, m >= n) of A = QR by Householder reflections, with each column multiplied
 * by sign(R_jj) so that R has a positive diagonal (PyTorch's `q *= d.sign()`).
 */
function householderQ(a: number[][], m: number, n: number): number[][] {
  const r = a.map((row) => [...row]);
  const vs: number[][] = [];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i][k]! ** 2;
    norm = Math.sqrt(norm);
    const v = new Array<number>(m).fill(0);
    const alpha = r[k][k]! >= 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i] = r[i][k]!;
    v[k]! -= alpha;
    let vnorm = 0;
    for (let i = k; i < m; i++) vnorm += v[i]! ** 2;
    if (vnorm > 0) {
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i]! * r[i][j]!;
        const f = (2 * dot) / vnorm;
        for (let i = k; i < m; i++) r[i]![j]! -= f * v[i]!;
      }
    }
    vs.push(v.map((x) => x / Math.sqrt(vnorm || 1)));
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const q: number[][] = Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k]!;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i]! * q[i][j]!;
      for (let i = k; i < m; i++) q[i]![j]! -= 2 * dot * v[i]!;
    }
  }
  for (let j = 0; j < n; j++) {
    const s = r[j][j]! < 0 ? -1 : 1;
    if (s < 0) for (let i = 0; i < m; i++) q[i]![j] = -q[i][j]!;
  }
  return q;
}
