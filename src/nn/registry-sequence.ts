import { ConfigError } from '../tensor/errors.js';
import type { OptionSchema, OptionSpec } from './config-options.js';
import { LayerNorm } from './layers/normalization.js';
import { PositionalEncoding } from './layers/positional.js';
import { GRU, LSTM, RNN } from './layers/recurrent.js';
import {
  RecurrentBlock,
  type RecurrentOutput,
  SelfAttention,
  SequencePool,
  type SequencePoolMode,
} from './layers/sequence.js';
import { TransformerEncoder, TransformerEncoderLayer } from './layers/transformer.js';
import { defineLayer, type LayerEntry, lastDim } from './registry-define.js';

/**
 * Sequence layers take [N, L, F] in configs: kiln's data is batch first, so `batchFirst`
 * defaults to true here (PyTorch's constructors default to false).
 */
const batchFirst: OptionSpec = {
  type: 'boolean',
  default: true,
  description: 'input [N, L, F] (default true in configs, as kiln data is batch first)',
};
const dropout = (dflt: number, what: string): OptionSpec => ({
  type: 'number',
  min: 0,
  max: 1,
  default: dflt,
  description: what,
});

interface RecurrentConfig {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
  output: RecurrentOutput;
  nonlinearity?: 'tanh' | 'relu';
}

function recurrentEntry(cls: typeof LSTM | typeof GRU | typeof RNN, type: string): LayerEntry {
  const options: OptionSchema = {
    inputSize: {
      type: 'int',
      min: 1,
      inferred: "the input's last dim",
      description: 'features per step',
    },
    hiddenSize: { type: 'int', min: 1, description: 'hidden state size H' },
    numLayers: { type: 'int', min: 1, default: 1, description: 'stacked recurrent layers' },
    bias: { type: 'boolean', default: true, description: 'learn the biases' },
    batchFirst,
    dropout: dropout(0, 'dropout between stacked layers, in training'),
    bidirectional: { type: 'boolean', default: false, description: 'also run reversed (D = 2)' },
    output: {
      type: 'string',
      values: ['last', 'sequence'],
      default: 'last',
      description: "'last': the final hidden state [N, H*D]; 'sequence': every step [N, L, H*D]",
    },
    ...(type === 'RNN'
      ? {
          nonlinearity: {
            type: 'string',
            values: ['tanh', 'relu'],
            default: 'tanh',
            description: 'the Elman nonlinearity',
          } as OptionSpec,
        }
      : {}),
  };
  return defineLayer<RecurrentBlock, RecurrentConfig>(RecurrentBlock, {
    type,
    description: `${type === 'RNN' ? 'Elman RNN' : type} over [N, L, F], as a RecurrentBlock (one tensor out)`,
    options,
    infer: (shape) => ({ inputSize: lastDim(shape) }),
    create: ({ inputSize, hiddenSize, output, ...o }) =>
      new RecurrentBlock(new cls(inputSize, hiddenSize, o), { output }),
    matches: (m) => m instanceof RecurrentBlock && m.rnn.constructor === cls,
    describe: (m) => ({
      inputSize: m.rnn.inputSize,
      hiddenSize: m.rnn.hiddenSize,
      numLayers: m.rnn.numLayers,
      bias: m.rnn.bias,
      batchFirst: m.rnn.batchFirst,
      dropout: m.rnn.dropout,
      bidirectional: m.rnn.bidirectional,
      output: m.output,
      ...(m.rnn instanceof RNN ? { nonlinearity: m.rnn.nonlinearity } : {}),
    }),
  });
}

interface EncoderLayerConfig {
  dModel: number;
  nhead: number;
  dimFeedforward: number;
  dropout: number;
  activation: 'relu' | 'gelu';
  layerNormEps: number;
  batchFirst: boolean;
  normFirst: boolean;
  bias: boolean;
}

const encoderLayerOptions: OptionSchema = {
  dModel: { type: 'int', min: 1, inferred: "the input's last dim", description: 'model width E' },
  nhead: { type: 'int', min: 1, description: 'attention heads (must divide dModel)' },
  dimFeedforward: { type: 'int', min: 1, default: 2048, description: 'feed-forward hidden size' },
  dropout: dropout(0.1, 'dropout in attention and feed-forward blocks, in training'),
  activation: {
    type: 'string',
    values: ['relu', 'gelu'],
    default: 'relu',
    description: 'feed-forward activation',
  },
  layerNormEps: {
    type: 'number',
    min: 0,
    exclusiveMin: true,
    default: 1e-5,
    description: 'LayerNorm eps',
  },
  batchFirst,
  normFirst: { type: 'boolean', default: false, description: 'pre-norm instead of post-norm' },
  bias: { type: 'boolean', default: true, description: 'learn biases of linears and norms' },
};

function describeEncoderLayer(m: TransformerEncoderLayer): EncoderLayerConfig {
  const activation = m.activation;
  if (typeof activation === 'function')
    throw new ConfigError(
      'TransformerEncoderLayer: a custom activation function has no config form',
    );
  return {
    dModel: m.dModel,
    nhead: m.nhead,
    dimFeedforward: m.linear1.outFeatures,
    dropout: m.dropout.p,
    activation,
    layerNormEps: m.norm1.eps,
    batchFirst: m.selfAttn.batchFirst,
    normFirst: m.normFirst,
    bias: m.linear1.bias !== null,
  };
}

function encoderLayer({ dModel, nhead, ...o }: EncoderLayerConfig): TransformerEncoderLayer {
  return new TransformerEncoderLayer(dModel, nhead, o);
}

/** The built-in sequence layers: recurrent, attention, transformer, positions. */
export const SEQUENCE_LAYERS: readonly LayerEntry[] = [
  recurrentEntry(LSTM, 'LSTM'),
  recurrentEntry(GRU, 'GRU'),
  recurrentEntry(RNN, 'RNN'),
  defineLayer<TransformerEncoderLayer, EncoderLayerConfig>(TransformerEncoderLayer, {
    type: 'TransformerEncoderLayer',
    description: 'one self-attention + feed-forward block over [N, L, E]',
    options: encoderLayerOptions,
    infer: (shape) => ({ dModel: lastDim(shape) }),
    create: encoderLayer,
    describe: describeEncoderLayer,
  }),
  defineLayer<TransformerEncoder, EncoderLayerConfig & { numLayers: number; norm: boolean }>(
    TransformerEncoder,
    {
      type: 'TransformerEncoder',
      description:
        'numLayers TransformerEncoderLayers over [N, L, E], optionally a final LayerNorm',
      options: {
        ...encoderLayerOptions,
        numLayers: { type: 'int', min: 1, description: 'encoder layers' },
        norm: { type: 'boolean', default: false, description: 'a final LayerNorm' },
      },
      infer: (shape) => ({ dModel: lastDim(shape) }),
      create: ({ numLayers, norm, ...o }) =>
        new TransformerEncoder(encoderLayer(o), numLayers, {
          norm: norm ? new LayerNorm(o.dModel, { eps: o.layerNormEps, bias: o.bias }) : null,
        }),
      describe: (m) => {
        if (m.norm !== null && !(m.norm instanceof LayerNorm))
          throw new ConfigError('TransformerEncoder: only a LayerNorm norm has a config form');
        return {
          ...describeEncoderLayer(m.layers[0]!),
          numLayers: m.numLayers,
          norm: m.norm !== null,
        };
      },
    },
  ),
  defineLayer<
    PositionalEncoding,
    { dModel: number; maxLen: number; dropout: number; batchFirst: boolean; persistent: boolean }
  >(PositionalEncoding, {
    type: 'PositionalEncoding',
    description: 'adds the sinusoidal position encoding to [N, L, E], then dropout',
    options: {
      dModel: {
        type: 'int',
        min: 1,
        inferred: "the input's last dim",
        description: 'model width E',
      },
      maxLen: { type: 'int', min: 1, default: 5000, description: 'longest sequence' },
      dropout: dropout(0.1, 'dropout after adding, in training'),
      batchFirst,
      persistent: {
        type: 'boolean',
        default: true,
        description: 'save the table in the state dict',
      },
    },
    infer: (shape) => ({ dModel: lastDim(shape) }),
    create: ({ dModel, ...o }) => new PositionalEncoding(dModel, o),
    describe: (m) => ({
      dModel: m.dModel,
      maxLen: m.maxLen,
      dropout: m.dropout,
      batchFirst: m.batchFirst,
      persistent: m.pe.persistent,
    }),
  }),
  defineLayer<
    SelfAttention,
    {
      embedDim: number;
      numHeads: number;
      dropout: number;
      bias: boolean;
      batchFirst: boolean;
      isCausal: boolean;
    }
  >(SelfAttention, {
    type: 'SelfAttention',
    description:
      'MultiheadAttention with query = key = value = the input [N, L, E]; returns the output',
    options: {
      embedDim: {
        type: 'int',
        min: 1,
        inferred: "the input's last dim",
        description: 'model width E',
      },
      numHeads: { type: 'int', min: 1, description: 'attention heads (must divide embedDim)' },
      dropout: dropout(0, 'dropout on the attention weights, in training'),
      bias: { type: 'boolean', default: true, description: 'learn projection biases' },
      batchFirst,
      isCausal: {
        type: 'boolean',
        default: false,
        description: 'step i attends to steps <= i only',
      },
    },
    infer: (shape) => ({ embedDim: lastDim(shape) }),
    create: ({ embedDim, numHeads, ...o }) => new SelfAttention(embedDim, numHeads, o),
    describe: (m) => ({
      embedDim: m.attn.embedDim,
      numHeads: m.attn.numHeads,
      dropout: m.attn.dropout,
      bias: m.attn.inProjBias !== null,
      batchFirst: m.attn.batchFirst,
      isCausal: m.isCausal,
    }),
  }),
  defineLayer<SequencePool, { mode: SequencePoolMode }>(SequencePool, {
    type: 'SequencePool',
    description: 'reduces [N, L, E] to [N, E]: the last or first step, the mean or the max',
    options: {
      mode: {
        type: 'string',
        values: ['last', 'first', 'mean', 'max'],
        default: 'last',
        description: 'how to reduce the sequence dim',
      },
    },
    create: (o) => new SequencePool(o.mode),
    describe: (m) => ({ mode: m.mode }),
  }),
];
