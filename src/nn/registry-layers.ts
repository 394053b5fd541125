import type { OptionSchema, OptionSpec } from './config-options.js';
import type { SizeArg } from './conv-args.js';
import {
  ELU,
  GELU,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  Sigmoid,
  Softmax,
  Tanh,
} from './layers/activation.js';
import { Conv1d, Conv2d, ConvTranspose2d } from './layers/conv.js';
import { Dropout } from './layers/dropout.js';
import { CategoryEmbedding, Embedding } from './layers/embedding.js';
import { Flatten, Identity, Linear } from './layers/linear.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from './layers/normalization.js';
import { AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d } from './layers/pooling.js';
import { Dropout2d, Upsample } from './layers/spatial.js';
import type { Module } from './module.js';
import { channels, defineLayer, type LayerEntry, lastDim } from './registry-define.js';

type Size = number | number[];

/** A per-dim size as config: one number when every dim agrees, else the list. */
function sizeOf(v: SizeArg | readonly number[]): Size {
  if (typeof v === 'number') return v;
  const list = [...v] as number[];
  return list.every((x) => x === list[0]) ? list[0]! : list;
}

const prob = (description: string, dflt: number): OptionSpec => ({
  type: 'number',
  min: 0,
  max: 1,
  default: dflt,
  description,
});
const bias: OptionSpec = { type: 'boolean', default: true, description: 'learn an additive bias' };
const dim = (dflt: number): OptionSpec => ({
  type: 'int',
  default: dflt,
  description: 'the dim to normalize over',
});

/** An activation without options. */
function plain<M extends Module>(cls: new () => M, type: string, description: string): LayerEntry {
  return defineLayer(cls, {
    type,
    description,
    options: {},
    create: () => new cls(),
    describe: () => ({}),
  });
}

const convOptions = (transposed: boolean): OptionSchema => ({
  inChannels: {
    type: 'int',
    min: 1,
    inferred: "the input's channel dim",
    description: 'input channels',
  },
  outChannels: { type: 'int', min: 1, description: 'output channels (filters)' },
  kernelSize: { type: 'size', description: 'window size (one number or one per spatial dim)' },
  stride: { type: 'size', default: 1, description: 'step between windows' },
  padding: transposed
    ? { type: 'size0', default: 0, description: 'zero padding per side removed from the output' }
    : {
        type: 'size0',
        default: 0,
        values: ['same', 'valid'],
        description: "zero padding per side, or 'same' / 'valid'",
      },
  ...(transposed
    ? {
        outputPadding: {
          type: 'size0',
          default: 0,
          description: 'extra size added to one side of the output',
        } as OptionSpec,
      }
    : {}),
  dilation: { type: 'size', default: 1, description: 'spacing between kernel taps' },
  groups: { type: 'int', min: 1, default: 1, description: 'channel groups' },
  bias,
});

interface ConvConfig {
  inChannels: number;
  outChannels: number;
  kernelSize: Size;
  stride: Size;
  padding: Size | 'same' | 'valid';
  dilation: Size;
  groups: number;
  bias: boolean;
}

function convEntry(cls: typeof Conv1d | typeof Conv2d, type: string, what: string): LayerEntry {
  return defineLayer<Conv1d | Conv2d, ConvConfig>(cls, {
    type,
    description: what,
    options: convOptions(false),
    infer: (shape) => ({ inChannels: channels(shape) }),
    create: ({ inChannels, outChannels, kernelSize, ...o }) =>
      new cls(inChannels, outChannels, kernelSize as SizeArg, o as never),
    describe: (m) => ({
      inChannels: m.inChannels,
      outChannels: m.outChannels,
      kernelSize: sizeOf(m.kernelSize),
      stride: sizeOf(m.options.stride ?? 1),
      padding:
        typeof m.options.padding === 'string' ? m.options.padding : sizeOf(m.options.padding ?? 0),
      dilation: sizeOf(m.options.dilation ?? 1),
      groups: m.groups,
      bias: m.bias !== null,
    }),
  });
}

interface PoolConfig {
  kernelSize: Size;
  stride: Size | null;
  padding: Size;
  ceilMode: boolean;
  dilation?: Size;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

const poolBase: OptionSchema = {
  kernelSize: { type: 'size', description: 'window size' },
  stride: {
    type: 'size',
    default: null,
    nullable: true,
    description: 'step between windows (null: the kernel size)',
  },
  padding: { type: 'size0', default: 0, description: 'implicit padding per side' },
  ceilMode: { type: 'boolean', default: false, description: 'round the output size up' },
};

type PoolClass = typeof MaxPool1d | typeof MaxPool2d | typeof AvgPool1d | typeof AvgPool2d;

function poolEntry(cls: PoolClass, type: string, max: boolean, divisor: boolean): LayerEntry {
  const options: OptionSchema = max
    ? { ...poolBase, dilation: { type: 'size', default: 1, description: 'spacing between taps' } }
    : {
        ...poolBase,
        countIncludePad: {
          type: 'boolean',
          default: true,
          description: 'count the zero padding in the divisor',
        },
        ...(divisor
          ? {
              divisorOverride: {
                type: 'int',
                min: 1,
                default: null,
                nullable: true,
                description: 'divide every window sum by this instead',
              } as OptionSpec,
            }
          : {}),
      };
  return defineLayer<InstanceType<PoolClass>, PoolConfig>(cls, {
    type,
    description: `${max ? 'max' : 'average'} pooling over [N, C, ${type.endsWith('1d') ? 'L' : 'H, W'}]`,
    options,
    create: ({ kernelSize, ...o }) => new cls(kernelSize as SizeArg, o as never),
    describe: (m) => {
      const o = m.options as PoolConfig;
      return {
        kernelSize: sizeOf(m.kernelSize),
        stride: o.stride === undefined || o.stride === null ? null : sizeOf(o.stride),
        padding: sizeOf(o.padding ?? 0),
        ceilMode: o.ceilMode ?? false,
        ...(max
          ? { dilation: sizeOf(o.dilation ?? 1) }
          : { countIncludePad: o.countIncludePad ?? true }),
        ...(divisor ? { divisorOverride: o.divisorOverride ?? null } : {}),
      };
    },
  });
}

interface BatchNormConfig {
  numFeatures: number;
  eps: number;
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
}

function batchNormEntry(cls: typeof BatchNorm1d | typeof BatchNorm2d, type: string): LayerEntry {
  return defineLayer<BatchNorm1d | BatchNorm2d, BatchNormConfig>(cls, {
    type,
    description: `batch normalization over ${type === 'BatchNorm1d' ? '[N, C] or [N, C, L]' : '[N, C, H, W]'}`,
    options: {
      numFeatures: {
        type: 'int',
        min: 1,
        inferred: "the input's dim 1",
        description: 'features (channels) C',
      },
      eps: {
        type: 'number',
        min: 0,
        exclusiveMin: true,
        default: 1e-5,
        description: 'added to the variance',
      },
      momentum: {
        type: 'number',
        min: 0,
        max: 1,
        default: 0.1,
        nullable: true,
        description: 'running-average weight of each batch (null: cumulative average)',
      },
      affine: { type: 'boolean', default: true, description: 'learn a scale and shift' },
      trackRunningStats: {
        type: 'boolean',
        default: true,
        description: 'keep running statistics for eval',
      },
    },
    infer: (shape) => ({ numFeatures: shape[1]! }),
    create: ({ numFeatures, ...o }) => new cls(numFeatures, o),
    describe: (m) => ({
      numFeatures: m.numFeatures,
      eps: m.eps,
      momentum: m.momentum,
      affine: m.weight !== null,
      trackRunningStats: m.runningMean !== null,
    }),
  });
}

/** The built-in layers other than the sequence ones (see registry-sequence.ts). */
export const BASIC_LAYERS: readonly LayerEntry[] = [
  defineLayer<Linear, { inFeatures: number; outFeatures: number; bias: boolean }>(Linear, {
    type: 'Linear',
    description: 'fully connected y = x W^T + b over the last dim',
    options: {
      inFeatures: {
        type: 'int',
        min: 1,
        inferred: "the input's last dim",
        description: 'input features',
      },
      outFeatures: { type: 'int', min: 1, description: 'output features' },
      bias,
    },
    infer: (shape) => ({ inFeatures: lastDim(shape) }),
    create: (o) => new Linear(o.inFeatures, o.outFeatures, { bias: o.bias }),
    describe: (m) => ({
      inFeatures: m.inFeatures,
      outFeatures: m.outFeatures,
      bias: m.bias !== null,
    }),
  }),
  defineLayer<Flatten, { startDim: number; endDim: number }>(Flatten, {
    type: 'Flatten',
    description: 'flattens dims startDim..endDim into one',
    options: {
      startDim: { type: 'int', default: 1, description: 'first dim to flatten' },
      endDim: { type: 'int', default: -1, description: 'last dim to flatten' },
    },
    create: (o) => new Flatten(o),
    describe: (m) => ({ startDim: m.startDim, endDim: m.endDim }),
  }),
  plain(Identity, 'Identity', 'returns its input'),
  plain(ReLU, 'ReLU', 'max(x, 0)'),
  plain(Sigmoid, 'Sigmoid', '1 / (1 + exp(-x))'),
  plain(Tanh, 'Tanh', 'tanh(x)'),
  defineLayer<LeakyReLU, { negativeSlope: number }>(LeakyReLU, {
    type: 'LeakyReLU',
    description: 'x for x >= 0, negativeSlope * x otherwise',
    options: { negativeSlope: { type: 'number', default: 0.01, description: 'slope for x < 0' } },
    create: (o) => new LeakyReLU(o.negativeSlope),
    describe: (m) => ({ negativeSlope: m.negativeSlope }),
  }),
  defineLayer<ELU, { alpha: number }>(ELU, {
    type: 'ELU',
    description: 'x for x > 0, alpha * (exp(x) - 1) otherwise',
    options: { alpha: { type: 'number', default: 1, description: 'scale of the negative part' } },
    create: (o) => new ELU(o.alpha),
    describe: (m) => ({ alpha: m.alpha }),
  }),
  defineLayer<GELU, { approximate: 'none' | 'tanh' }>(GELU, {
    type: 'GELU',
    description: 'x * Phi(x), exact or with the tanh approximation',
    options: {
      approximate: {
        type: 'string',
        values: ['none', 'tanh'],
        default: 'none',
        description: "'none' (exact, erf) or 'tanh'",
      },
    },
    create: (o) => new GELU(o),
    describe: (m) => ({ approximate: m.approximate }),
  }),
  defineLayer<Softmax, { dim: number }>(Softmax, {
    type: 'Softmax',
    description: 'softmax over a dim',
    options: { dim: dim(-1) },
    create: (o) => new Softmax(o.dim),
    describe: (m) => ({ dim: m.dim }),
  }),
  defineLayer<LogSoftmax, { dim: number }>(LogSoftmax, {
    type: 'LogSoftmax',
    description: 'log of the softmax over a dim',
    options: { dim: dim(-1) },
    create: (o) => new LogSoftmax(o.dim),
    describe: (m) => ({ dim: m.dim }),
  }),
  defineLayer<Dropout, { p: number }>(Dropout, {
    type: 'Dropout',
    description: 'zeroes each element with probability p in training, scaling the rest by 1/(1-p)',
    options: { p: prob('drop probability', 0.5) },
    create: (o) => new Dropout(o.p),
    describe: (m) => ({ p: m.p }),
  }),
  defineLayer<Dropout2d, { p: number }>(Dropout2d, {
    type: 'Dropout2d',
    description: 'zeroes whole channels of [N, C, H, W] with probability p in training',
    options: { p: prob('drop probability per channel', 0.5) },
    create: (o) => new Dropout2d(o.p),
    describe: (m) => ({ p: m.p }),
  }),
  batchNormEntry(BatchNorm1d, 'BatchNorm1d'),
  batchNormEntry(BatchNorm2d, 'BatchNorm2d'),
  defineLayer<
    LayerNorm,
    { normalizedShape: number[]; eps: number; elementwiseAffine: boolean; bias: boolean }
  >(LayerNorm, {
    type: 'LayerNorm',
    description: 'normalizes over the trailing normalizedShape dims',
    options: {
      normalizedShape: {
        type: 'size',
        inferred: "the input's last dim",
        description: 'trailing dims to normalize',
      },
      eps: {
        type: 'number',
        min: 0,
        exclusiveMin: true,
        default: 1e-5,
        description: 'added to the variance',
      },
      elementwiseAffine: {
        type: 'boolean',
        default: true,
        description: 'learn a scale (and bias)',
      },
      bias: { type: 'boolean', default: true, description: 'learn a bias when elementwiseAffine' },
    },
    infer: (shape) => ({ normalizedShape: [lastDim(shape)] }),
    create: ({ normalizedShape, ...o }) =>
      new LayerNorm(typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape, o),
    describe: (m) => ({
      normalizedShape: [...m.normalizedShape],
      eps: m.eps,
      elementwiseAffine: m.weight !== null,
      bias: m.bias !== null,
    }),
  }),
  defineLayer<
    Embedding,
    { numEmbeddings: number; embeddingDim: number; paddingIdx: number | null }
  >(Embedding, {
    type: 'Embedding',
    description: 'looks up a learned vector per int32 index: [...] -> [..., embeddingDim]',
    inputDtype: 'int32',
    options: {
      numEmbeddings: { type: 'int', min: 1, description: 'size of the vocabulary' },
      embeddingDim: { type: 'int', min: 1, description: 'size of each vector' },
      paddingIdx: {
        type: 'int',
        default: null,
        nullable: true,
        description: 'an index whose vector stays zero',
      },
    },
    create: (o) => new Embedding(o.numEmbeddings, o.embeddingDim, { paddingIdx: o.paddingIdx }),
    describe: (m) => ({
      numEmbeddings: m.numEmbeddings,
      embeddingDim: m.embeddingDim,
      paddingIdx: m.paddingIdx,
    }),
  }),
  defineLayer<CategoryEmbedding, { numEmbeddings: number[]; embeddingDim: number }>(
    CategoryEmbedding,
    {
      type: 'CategoryEmbedding',
      description:
        "embeds a table's leading category-index columns (data.embed): [N, F] -> [N, F - C + C * embeddingDim]",
      options: {
        numEmbeddings: {
          type: 'ints',
          description: 'table size per index column (kept levels + 1)',
        },
        embeddingDim: { type: 'int', min: 1, description: 'size of each vector' },
      },
      create: (o) => new CategoryEmbedding(o.numEmbeddings, o.embeddingDim),
      describe: (m) => ({ numEmbeddings: [...m.numEmbeddings], embeddingDim: m.embeddingDim }),
    },
  ),
  convEntry(Conv1d, 'Conv1d', '1-D convolution over [N, C, L]'),
  convEntry(Conv2d, 'Conv2d', '2-D convolution over [N, C, H, W]'),
  defineLayer<ConvTranspose2d, ConvConfig & { outputPadding: Size }>(ConvTranspose2d, {
    type: 'ConvTranspose2d',
    description: 'transposed 2-D convolution (upsampling) over [N, C, H, W]',
    options: convOptions(true),
    infer: (shape) => ({ inChannels: channels(shape) }),
    create: ({ inChannels, outChannels, kernelSize, ...o }) =>
      new ConvTranspose2d(inChannels, outChannels, kernelSize as SizeArg, o as never),
    describe: (m) => ({
      inChannels: m.inChannels,
      outChannels: m.outChannels,
      kernelSize: sizeOf(m.kernelSize),
      stride: sizeOf(m.options.stride ?? 1),
      padding: sizeOf(m.options.padding ?? 0),
      outputPadding: sizeOf(m.options.outputPadding ?? 0),
      dilation: sizeOf(m.options.dilation ?? 1),
      groups: m.groups,
      bias: m.bias !== null,
    }),
  }),
  poolEntry(MaxPool1d, 'MaxPool1d', true, false),
  poolEntry(MaxPool2d, 'MaxPool2d', true, false),
  poolEntry(AvgPool1d, 'AvgPool1d', false, false),
  poolEntry(AvgPool2d, 'AvgPool2d', false, true),
  defineLayer<AdaptiveAvgPool2d, { outputSize: Size }>(AdaptiveAvgPool2d, {
    type: 'AdaptiveAvgPool2d',
    description: 'average pooling of [N, C, H, W] to a fixed [outputSize] spatial size',
    options: { outputSize: { type: 'size', description: 'output H and W (one number for both)' } },
    create: (o) => new AdaptiveAvgPool2d(o.outputSize as number | [number, number]),
    describe: (m) => ({ outputSize: sizeOf(m.outputSize as readonly number[]) }),
  }),
  defineLayer<
    Upsample,
    {
      size: Size | null;
      scaleFactor: number | null;
      mode: 'nearest' | 'bilinear';
      alignCorners: boolean;
    }
  >(Upsample, {
    type: 'Upsample',
    description: 'resizes [N, C, H, W] to size or by scaleFactor',
    options: {
      size: {
        type: 'size',
        default: null,
        nullable: true,
        description: 'output [H, W] (or one number)',
      },
      scaleFactor: {
        type: 'number',
        min: 0,
        exclusiveMin: true,
        default: null,
        nullable: true,
        description: 'multiplier of H and W',
      },
      mode: {
        type: 'string',
        values: ['nearest', 'bilinear'],
        default: 'nearest',
        description: 'interpolation',
      },
      alignCorners: {
        type: 'boolean',
        default: false,
        description: 'bilinear: align corner pixel centers',
      },
    },
    create: (o) =>
      new Upsample({
        ...(o.size !== null ? { size: o.size as number | [number, number] } : {}),
        ...(o.scaleFactor !== null ? { scaleFactor: o.scaleFactor } : {}),
        mode: o.mode,
        // PyTorch refuses alignCorners with 'nearest', even false.
        ...(o.mode === 'bilinear' ? { alignCorners: o.alignCorners } : {}),
      }),
    describe: (m) => ({
      size: m.options.size === undefined ? null : sizeOf(m.options.size),
      scaleFactor: typeof m.options.scaleFactor === 'number' ? m.options.scaleFactor : null,
      mode: m.options.mode ?? 'nearest',
      alignCorners: m.options.alignCorners ?? false,
    }),
  }),
];
