import type { Operand } from './ops/core.js';
import { binary, unary } from './ops/elementwise.js';
import { Tensor } from './tensor/tensor.js';

/** Promotes a number operand pair so top-level ops accept numbers on either side. */
function pow(a: Operand, b: Operand): Tensor {
  if (a instanceof Tensor && typeof b === 'number') return unary('powScalar', a, b);
  return binary('pow', a, b);
}

/**
 * Top-level arithmetic with a tensor or a number on either side, as `torch.add(a, b)`.
 *
 * @example
 * ```ts
 * k.sub(1, x);       // 1 - x
 * k.maximum(x, 0);   // relu
 * ```
 */
export const arithmetic = {
  add: (a: Operand, b: Operand): Tensor => binary('add', a, b),
  sub: (a: Operand, b: Operand): Tensor => binary('sub', a, b),
  mul: (a: Operand, b: Operand): Tensor => binary('mul', a, b),
  div: (a: Operand, b: Operand): Tensor => binary('div', a, b),
  pow,
  maximum: (a: Operand, b: Operand): Tensor => binary('maximum', a, b),
  minimum: (a: Operand, b: Operand): Tensor => binary('minimum', a, b),
};
