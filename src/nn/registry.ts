import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../ops/creation.js';
import { ConfigError, fmtShape, ShapeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptions, didYouMean, type OptionSchema } from './config-options.js';
import { Sequential } from './layers/sequential.js';
import { Module } from './module.js';
import type { LayerConfig, LayerEntry } from './registry-define.js';
import { BASIC_LAYERS } from './registry-layers.js';
import { SEQUENCE_LAYERS } from './registry-sequence.js';

const REGISTRY = new Map<string, LayerEntry>();
for (const entry of [...BASIC_LAYERS, ...SEQUENCE_LAYERS]) REGISTRY.set(entry.type, entry);

/** The options of the `Sequential` container in configs: a nested list of layers. */
export const SEQUENTIAL_OPTIONS: OptionSchema = {
  layers: { type: 'layers', description: 'the layers, run one after another' },
};

/**
 * Adds a layer type to the registry, so configs (`model: [{ type: 'MyLayer' }]`) can name it and
 * `layerToConfig` can describe it. Throws on a type that is already registered.
 *
 * @example
 * ```ts
 * k.nn.registerLayer(k.nn.defineLayer(Square, { type: 'Square', description: 'x^2', options: {},
 *   create: () => new Square(), describe: () => ({}) }));
 * ```
 */
export function registerLayer(entry: LayerEntry): void {
  if (entry.type === 'Sequential' || REGISTRY.has(entry.type))
    throw new ConfigError(`registerLayer: layer type '${entry.type}' is already registered`);
  REGISTRY.set(entry.type, entry);
}

/** Every layer type a config may name, `Sequential` included. @example `k.nn.layerTypes().includes('LSTM') // true` */
export function layerTypes(): string[] {
  return [...REGISTRY.keys(), 'Sequential'];
}

/**
 * Each registered layer's description and option schema (type, default, meaning): the source
 * of the config reference.
 *
 * @example
 * ```ts
 * k.nn.describeLayers().find((l) => l.type === 'Linear')?.options.outFeatures?.type; // 'int'
 * ```
 */
export function describeLayers(): { type: string; description: string; options: OptionSchema }[] {
  return [
    ...[...REGISTRY.values()].map((e) => ({
      type: e.type,
      description: e.description,
      options: e.options,
    })),
    { type: 'Sequential', description: 'runs nested layers in order', options: SEQUENTIAL_OPTIONS },
  ];
}

/** Options of {@link layerFromConfig}. */
export interface FromConfigOptions {
  /** The input shape `[batch, ...]`, from which left-out sizes (inFeatures...) are inferred. */
  inputShape?: readonly number[];
  /** Where the config sits, for error messages (default `'layer'`; the CLI passes `model.3`). */
  where?: string;
}

function entryFor(config: unknown, where: string): { type: string; entry: LayerEntry | null } {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new ConfigError(
      `${where}: a layer must be an object with a 'type', got ${JSON.stringify(config)}`,
    );
  const type = (config as { type?: unknown }).type;
  if (typeof type !== 'string')
    throw new ConfigError(`${where}.type: missing or not a string (a layer type such as 'Linear')`);
  if (type === 'Sequential') return { type, entry: null };
  const entry = REGISTRY.get(type);
  if (!entry) {
    const known = layerTypes();
    throw new ConfigError(
      `${where}.type: unknown layer '${type}'${didYouMean(type, known)} (known: ${known.join(', ')})`,
    );
  }
  return { type, entry };
}

/**
 * Checks a layer config (its type and every option's name, type and range; nested
 * `Sequential` layers too) without building it: the early, one-line `ConfigError` a config
 * loader wants before any data is read.
 *
 * @example
 * ```ts
 * k.nn.checkLayerConfig({ type: 'Dropout', rate: 0.5 }, 'model.2'); // throws: unknown option 'rate'
 * ```
 */
export function checkLayerConfig(config: LayerConfig, where = 'layer'): void {
  const { type, entry } = entryFor(config, where);
  if (!entry) {
    const { layers } = checkOptions(`${where} (Sequential)`, config, SEQUENTIAL_OPTIONS);
    (layers as LayerConfig[]).forEach((c, i) => {
      checkLayerConfig(c, `${where}.layers.${i}`);
    });
    return;
  }
  checkOptions(`${where} (${type})`, config, entry.options);
}

/**
 * Builds one layer from its config, validating every option against the layer's schema (unknown
 * options, wrong types and ranges are one-line `ConfigError`s with a "did you mean"). Sizes the
 * config leaves out (Linear's `inFeatures`, an LSTM's `inputSize`) come from `inputShape`.
 *
 * @example
 * ```ts
 * const fc = k.nn.layerFromConfig({ type: 'Linear', outFeatures: 3 }, { inputShape: [1, 4] });
 * k.nn.layerToConfig(fc); // { type: 'Linear', inFeatures: 4, outFeatures: 3, bias: true }
 * ```
 */
export function layerFromConfig(config: LayerConfig, options: FromConfigOptions = {}): Module {
  const where = options.where ?? 'layer';
  const { type, entry } = entryFor(config, where);
  if (!entry) {
    const { layers } = checkOptions(`${where} (Sequential)`, config, SEQUENTIAL_OPTIONS);
    return buildSequential(layers as LayerConfig[], {
      ...(options.inputShape ? { sampleShape: options.inputShape.slice(1) } : {}),
      where: `${where}.layers`,
    });
  }
  const label = `${where} (${type})`;
  const resolved = checkOptions(label, config, entry.options);
  const inferred = options.inputShape && entry.infer ? entry.infer(options.inputShape) : {};
  for (const [key, spec] of Object.entries(entry.options)) {
    if (key in resolved || !spec.inferred) continue;
    if (key in inferred) resolved[key] = inferred[key];
    else
      throw new ConfigError(
        `${label}: missing option '${key}' (it is ${spec.inferred} only when the model is built with an input shape)`,
      );
  }
  try {
    return entry.create(resolved);
  } catch (e) {
    throw new ConfigError(`${label}: ${(e as Error).message}`);
  }
}

/** Options of {@link buildSequential}. */
export interface BuildSequentialOptions {
  /** The shape of one sample (no batch dim): sizes are then inferred and shapes checked. */
  sampleShape?: readonly number[];
  /** Where the list sits, for error messages (default `'model'`). */
  where?: string;
}

/**
 * Builds a `Sequential` from a list of layer configs. With a `sampleShape`, a zero batch runs
 * through each new layer, so input sizes can be left out and a layer that does not fit its
 * input fails here, naming its position and the shape it got.
 *
 * @example
 * ```ts
 * const model = k.nn.buildSequential(
 *   [{ type: 'LSTM', hiddenSize: 16 }, { type: 'Linear', outFeatures: 1 }],
 *   { sampleShape: [24, 1] },
 * );
 * model.forward(k.randn([8, 24, 1])).shape; // [8, 1]
 * ```
 */
export function buildSequential(
  configs: readonly LayerConfig[],
  options: BuildSequentialOptions = {},
): Sequential {
  const where = options.where ?? 'model';
  if (!Array.isArray(configs) || configs.length === 0)
    throw new ConfigError(`${where}: must be a non-empty list of layers`);
  const modules: Module[] = [];
  const sample = options.sampleShape;
  noGrad(() => {
    let x: Tensor | null = null;
    if (sample) {
      const first = entryFor(configs[0], `${where}.0`).entry;
      x = zeros([2, ...sample], { dtype: first?.inputDtype ?? 'float32' });
    }
    configs.forEach((config, i) => {
      const at = `${where}.${i}`;
      const layer = layerFromConfig(config, { ...(x ? { inputShape: x.shape } : {}), where: at });
      modules.push(layer);
      if (!x) return;
      layer.eval();
      let y: unknown;
      try {
        y = layer.forward(x);
      } catch (e) {
        throw new ShapeError(
          `${at} (${config.type}) does not accept input of shape ${fmtShape(x.shape)} (batch first): ${(e as Error).message}`,
        );
      }
      if (!(y instanceof Tensor))
        throw new ConfigError(`${at} (${config.type}): returns more than one tensor`);
      x = y;
    });
  });
  return new Sequential(...modules).train();
}

/**
 * Describes a layer (or a `Sequential` of them, nested) as config: its registered type and every
 * option, complete, so `layerFromConfig(layerToConfig(m))` builds the same architecture without
 * an input shape. Throws a `ConfigError` for a module whose class is not registered.
 *
 * @example
 * ```ts
 * k.nn.layerToConfig(new k.nn.Dropout(0.2)); // { type: 'Dropout', p: 0.2 }
 * ```
 */
export function layerToConfig(m: Module): LayerConfig {
  if (!(m instanceof Module)) throw new ConfigError('layerToConfig: not a Module');
  if (m instanceof Sequential) return { type: 'Sequential', layers: [...m].map(layerToConfig) };
  for (const entry of REGISTRY.values()) {
    if (entry.matches(m)) return { type: entry.type, ...entry.describe(m) };
  }
  throw new ConfigError(
    `layerToConfig: ${m.constructor.name} has no config form (register it with k.nn.registerLayer)`,
  );
}
