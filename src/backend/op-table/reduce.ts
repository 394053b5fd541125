import type { ReduceEntry } from './schema.js';

/**
 * The value-keeping reductions; an entry's position is its native op code. Both backends
 * accumulate in float64, visiting x in its row-major order, so their results agree bit for bit.
 */
export const REDUCE = [
  { name: 'sum', identity: 0, js: 'acc += v;', cpp: 'acc += v;' },
  { name: 'prod', identity: 1, js: 'acc *= v;', cpp: 'acc *= v;' },
  // NaN propagates: once the accumulator is NaN no comparison replaces it.
  {
    name: 'max',
    identity: Number.NEGATIVE_INFINITY,
    js: 'if (v > acc || v !== v) acc = v;',
    cpp: 'if (v > acc || v != v) acc = v;',
  },
  {
    name: 'min',
    identity: Number.POSITIVE_INFINITY,
    js: 'if (v < acc || v !== v) acc = v;',
    cpp: 'if (v < acc || v != v) acc = v;',
  },
] as const satisfies readonly ReduceEntry[];

/** Reductions to the int32 position of the first max/min along one dim, in code order. */
export const ARG_REDUCE_OPS = ['argmax', 'argmin'] as const;
