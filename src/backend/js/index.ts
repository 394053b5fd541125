import type { Backend } from '../backend.js';
import { binary, copy, fill, unary, where } from './elementwise.js';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing.js';
import { matmul } from './matmul.js';
import { argReduce, reduce, softmax } from './reduce.js';
import { col2im, im2col, maxPool, maxPoolBackward } from './window.js';

/**
 * The reference backend: every primitive for every dtype, in TypeScript, on strided views.
 * It defines the results the native backend is tested against.
 */
export const jsBackend: Backend = {
  name: 'js',
  unary,
  binary,
  where,
  copy,
  fill,
  reduce,
  argReduce,
  matmul,
  softmax,
  gather,
  scatterAdd,
  indexSelect,
  indexAdd,
  im2col,
  col2im,
  maxPool,
  maxPoolBackward,
};
