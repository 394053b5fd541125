import type { UnaryEntry } from './schema.js';

/**
 * The unary primitives. The position of an entry is its native op code (the addon checks at
 * load that it was built from this list). `p0`/`p1` carry the op's scalars: softplus (beta,
 * threshold), leakyRelu (negative slope), elu (alpha), clamp (min and max, ±Infinity for none),
 * powScalar (exponent), scale (`x * p0 + p1`), step (`x > p0 ? 1 : 0`, for derivative masks).
 *
 * `js` runs in the js backend's compiled loops, which also provide `erf` and `roundHalfEven`;
 * `cpp` runs in native/src/ew_unary.cc, where `js_pow` is `Math.pow`. Both compute in double
 * and round once into the output dtype.
 */
export const UNARY = [
  { name: 'neg', dtype: 'same', grad: true, cost: 1, js: '-x', cpp: '-x' },
  { name: 'abs', dtype: 'same', grad: true, cost: 1, js: 'Math.abs(x)', cpp: 'std::fabs(x)' },
  { name: 'exp', dtype: 'float', grad: true, cost: 16, js: 'Math.exp(x)', cpp: 'std::exp(x)' },
  { name: 'log', dtype: 'float', grad: true, cost: 16, js: 'Math.log(x)', cpp: 'std::log(x)' },
  { name: 'sqrt', dtype: 'float', grad: true, cost: 1, js: 'Math.sqrt(x)', cpp: 'std::sqrt(x)' },
  {
    name: 'rsqrt',
    dtype: 'float',
    grad: true,
    cost: 1,
    js: '1 / Math.sqrt(x)',
    cpp: '1 / std::sqrt(x)',
  },
  { name: 'sin', dtype: 'float', grad: true, cost: 16, js: 'Math.sin(x)', cpp: 'std::sin(x)' },
  { name: 'cos', dtype: 'float', grad: true, cost: 16, js: 'Math.cos(x)', cpp: 'std::cos(x)' },
  // Keeps ±0 and NaN.
  {
    name: 'sign',
    dtype: 'same',
    grad: true,
    cost: 1,
    js: '(x > 0 ? 1 : x < 0 ? -1 : x)',
    cpp: 'x > 0 ? 1 : x < 0 ? -1 : x',
  },
  // The js backend's own erf (src/backend/js/loops.ts) is within ~40 ulp of libm's in float64.
  { name: 'erf', dtype: 'float', grad: true, cost: 16, js: 'erf(x)', cpp: 'std::erf(x)' },
  {
    name: 'relu',
    dtype: 'same',
    grad: true,
    cost: 1,
    js: '(x > 0 || x !== x ? x : 0)',
    cpp: 'x > 0 || x != x ? x : 0',
  },
  {
    name: 'sigmoid',
    dtype: 'float',
    grad: true,
    cost: 16,
    js: '1 / (1 + Math.exp(-x))',
    cpp: '1 / (1 + std::exp(-x))',
  },
  { name: 'tanh', dtype: 'float', grad: true, cost: 16, js: 'Math.tanh(x)', cpp: 'std::tanh(x)' },
  // Linear above the threshold, as PyTorch.
  {
    name: 'softplus',
    dtype: 'float',
    grad: true,
    cost: 16,
    js: '(x * p0 > p1 ? x : Math.log1p(Math.exp(x * p0)) / p0)',
    cpp: 'x * p0 > p1 ? x : std::log1p(std::exp(x * p0)) / p0',
  },
  {
    name: 'leakyRelu',
    dtype: 'same',
    grad: true,
    cost: 1,
    js: '(x > 0 ? x : x * p0)',
    cpp: 'x > 0 ? x : x * p0',
  },
  {
    name: 'elu',
    dtype: 'float',
    grad: true,
    cost: 16,
    js: '(x > 0 ? x : p0 * Math.expm1(x))',
    cpp: 'x > 0 ? x : p0 * std::expm1(x)',
  },
  {
    name: 'gelu',
    dtype: 'float',
    grad: true,
    cost: 16,
    js: '0.5 * x * (1 + erf(x * 0.7071067811865476))',
    cpp: '0.5 * x * (1 + std::erf(x * 0.7071067811865476))',
  },
  {
    name: 'geluTanh',
    dtype: 'float',
    grad: true,
    cost: 16,
    js: '0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
    cpp: '0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
  },
  {
    name: 'clamp',
    dtype: 'same',
    grad: true,
    cost: 1,
    js: '(x < p0 ? p0 : x > p1 ? p1 : x)',
    cpp: 'x < p0 ? p0 : x > p1 ? p1 : x',
  },
  {
    name: 'log1p',
    dtype: 'float',
    grad: true,
    cost: 16,
    js: 'Math.log1p(x)',
    cpp: 'std::log1p(x)',
  },
  {
    name: 'expm1',
    dtype: 'float',
    grad: true,
    cost: 16,
    js: 'Math.expm1(x)',
    cpp: 'std::expm1(x)',
  },
  {
    name: 'floor',
    dtype: 'same',
    grad: true,
    cost: 1,
    js: 'Math.floor(x)',
    cpp: 'std::floor(x)',
  },
  { name: 'ceil', dtype: 'same', grad: true, cost: 1, js: 'Math.ceil(x)', cpp: 'std::ceil(x)' },
  // Half to even, as torch.round: nearbyint in the default rounding mode does exactly that.
  {
    name: 'round',
    dtype: 'same',
    grad: true,
    cost: 1,
    js: 'roundHalfEven(x)',
    cpp: 'std::nearbyint(x)',
  },
  { name: 'reciprocal', dtype: 'float', grad: true, cost: 1, js: '1 / x', cpp: '1 / x' },
  { name: 'square', dtype: 'same', grad: true, cost: 1, js: 'x * x', cpp: 'x * x' },
  { name: 'isnan', dtype: 'bool', grad: false, cost: 1, js: 'x !== x', cpp: 'x != x ? 1 : 0' },
  {
    name: 'isfinite',
    dtype: 'bool',
    grad: false,
    cost: 1,
    js: 'x - x === 0',
    cpp: 'x - x == 0 ? 1 : 0',
  },
  {
    name: 'logicalNot',
    dtype: 'bool',
    grad: false,
    cost: 1,
    js: 'x === 0',
    cpp: 'x == 0 ? 1 : 0',
  },
  {
    name: 'powScalar',
    dtype: 'float-if-fractional-p0',
    grad: true,
    cost: 16,
    js: 'Math.pow(x, p0)',
    cpp: 'js_pow(x, p0)',
  },
  { name: 'scale', dtype: 'same', grad: true, cost: 1, js: 'x * p0 + p1', cpp: 'x * p0 + p1' },
  // A derivative mask (relu, leakyRelu): no gradient of its own.
  {
    name: 'step',
    dtype: 'same',
    grad: false,
    cost: 1,
    js: '(x > p0 ? 1 : 0)',
    cpp: 'x > p0 ? 1 : 0',
  },
] as const satisfies readonly UnaryEntry[];
