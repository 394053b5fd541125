import type { BinaryEntry } from './schema.js';

/**
 * The binary primitives; an entry's position is its native op code. The op layer casts both
 * operands to one dtype first (comparisons excepted on the js backend), so each formula sees
 * two numbers of one kind. `cpp` runs in native/src/ew_binary.cc (`js_pow` is `Math.pow`,
 * `kNaN` a quiet NaN).
 */
export const BINARY = [
  { name: 'add', dtype: 'same', grad: true, cost: 1, saves: 'none', js: 'a + b', cpp: 'a + b' },
  {
    name: 'sub',
    dtype: 'same',
    grad: true,
    cost: 1,
    noBool: true,
    saves: 'none',
    js: 'a - b',
    cpp: 'a - b',
  },
  {
    name: 'mul',
    dtype: 'same',
    grad: true,
    cost: 1,
    saves: 'inputs',
    js: 'a * b',
    jsInt: 'Math.imul(a, b)',
    cpp: 'a * b',
  },
  {
    name: 'div',
    dtype: 'float',
    grad: true,
    cost: 1,
    saves: 'inputs+output',
    js: 'a / b',
    cpp: 'a / b',
  },
  {
    name: 'pow',
    dtype: 'same',
    grad: true,
    cost: 16,
    noBool: true,
    saves: 'inputs+output',
    js: 'Math.pow(a, b)',
    cpp: 'js_pow(a, b)',
  },
  // Math.max/min: NaN if either is NaN, and +0 beats -0 for max (-0 for min).
  {
    name: 'maximum',
    dtype: 'same',
    grad: true,
    cost: 1,
    saves: 'inputs',
    js: 'Math.max(a, b)',
    cpp: 'a > b ? a : b > a ? b : (a != a || b != b) ? kNaN : std::signbit(a) ? b : a',
  },
  {
    name: 'minimum',
    dtype: 'same',
    grad: true,
    cost: 1,
    saves: 'inputs',
    js: 'Math.min(a, b)',
    cpp: 'a < b ? a : b < a ? b : (a != a || b != b) ? kNaN : std::signbit(a) ? a : b',
  },
  { name: 'eq', dtype: 'bool', grad: false, cost: 1, saves: 'none', js: 'a === b', cpp: 'a == b' },
  { name: 'ne', dtype: 'bool', grad: false, cost: 1, saves: 'none', js: 'a !== b', cpp: 'a != b' },
  { name: 'lt', dtype: 'bool', grad: false, cost: 1, saves: 'none', js: 'a < b', cpp: 'a < b' },
  { name: 'le', dtype: 'bool', grad: false, cost: 1, saves: 'none', js: 'a <= b', cpp: 'a <= b' },
  { name: 'gt', dtype: 'bool', grad: false, cost: 1, saves: 'none', js: 'a > b', cpp: 'a > b' },
  { name: 'ge', dtype: 'bool', grad: false, cost: 1, saves: 'none', js: 'a >= b', cpp: 'a >= b' },
  {
    name: 'logicalAnd',
    dtype: 'bool',
    grad: false,
    cost: 1,
    saves: 'none',
    js: '(a !== 0 && b !== 0)',
    cpp: 'a != 0 && b != 0',
  },
  {
    name: 'logicalOr',
    dtype: 'bool',
    grad: false,
    cost: 1,
    saves: 'none',
    js: '(a !== 0 || b !== 0)',
    cpp: 'a != 0 || b != 0',
  },
] as const satisfies readonly BinaryEntry[];
