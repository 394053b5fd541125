import type { OptionSchema } from './config-options.js';
import type { Module } from './module.js';

/**
 * A layer as configuration: its registered `type` and its options (PyTorch's constructor
 * arguments in camelCase), e.g. `{ type: 'Linear', outFeatures: 10 }`. This is what a config
 * file's `model` list holds and what `k.nn.layerToConfig` returns.
 *
 * @example
 * ```ts
 * const c: k.nn.LayerConfig = { type: 'Dropout', p: 0.2 };
 * ```
 */
export interface LayerConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}

/**
 * One registered layer type: its option schema, how to build it from complete options, how to
 * read those options back from a module, and which options follow from the input shape.
 *
 * @example
 * ```ts
 * k.nn.registerLayer(k.nn.defineLayer(MyLayer, { type: 'MyLayer', description: '...', options: {},
 *   create: () => new MyLayer(), describe: () => ({}) }));
 * ```
 */
export interface LayerEntry {
  readonly type: string;
  /** One sentence: what the layer does and its input/output shapes. */
  readonly description: string;
  readonly options: OptionSchema;
  /** The dtype the layer's input must have (Embedding: int32 indices); float32 otherwise. */
  readonly inputDtype?: 'int32';
  /** Options found from the input shape `[batch, ...]` when the config leaves them out. */
  infer?(shape: readonly number[]): Record<string, unknown>;
  /** Builds the layer from validated, complete options. */
  create(options: Readonly<Record<string, unknown>>): Module;
  /** Whether `m` is a layer of this type. */
  matches(m: Module): boolean;
  /** The complete options of `m`, such that `create(describe(m))` builds the same layer. */
  describe(m: Module): Record<string, unknown>;
}

/** The fields of {@link defineLayer}'s spec, typed by the module class and its options. */
export interface LayerSpec<M extends Module, O extends object> {
  type: string;
  description: string;
  options: OptionSchema;
  inputDtype?: 'int32';
  infer?(shape: readonly number[]): Partial<O>;
  create(options: O): M;
  describe(m: M): O;
  /** Defaults to "is exactly an instance of the class". */
  matches?(m: Module): boolean;
}

/**
 * Turns a typed layer spec into a registry entry (options are validated against the schema
 * before `create` sees them, so the cast to `O` is safe).
 *
 * @example
 * ```ts
 * const entry = k.nn.defineLayer(k.nn.Tanh, { type: 'Tanh', description: 'tanh', options: {},
 *   create: () => new k.nn.Tanh(), describe: () => ({}) });
 * ```
 */
export function defineLayer<M extends Module, O extends object>(
  cls: abstract new (...args: never[]) => M,
  spec: LayerSpec<M, O>,
): LayerEntry {
  return {
    type: spec.type,
    description: spec.description,
    options: spec.options,
    ...(spec.inputDtype ? { inputDtype: spec.inputDtype } : {}),
    ...(spec.infer ? { infer: spec.infer as LayerEntry['infer'] } : {}),
    create: (o) => spec.create(o as O),
    matches: spec.matches ?? ((m) => m.constructor === cls),
    describe: (m) => ({ ...spec.describe(m as M) }) as Record<string, unknown>,
  };
}

/** The input's last dim (features), for `inFeatures`-like options. */
export const lastDim = (shape: readonly number[]): number => shape[shape.length - 1]!;

/** The input's channel dim (dim 1 of [N, C, ...]), for `inChannels`-like options. */
export const channels = (shape: readonly number[]): number => shape[1]!;
