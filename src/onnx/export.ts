import { basename, dirname, join } from 'node:path';
import type { Value } from '../graph/ir.js';
import { trace } from '../graph/trace.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Module } from '../nn/module.js';
import { ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Emitter, type Initializer } from './emitter.js';
import { LAYERS } from './layers.js';
import {
  type ExternalLocation,
  modelProto,
  onnxType,
  tensorProto,
  valueInfo,
} from './model-proto.js';
import { PRIMITIVES } from './primitives.js';

/** Dynamic axes of one input or output: axis numbers, or axis -> dim name (torch's forms). */
export type DynamicAxesSpec = readonly number[] | Readonly<Record<number, string>>;

/** Options of `onnx.export` (the names of `torch.onnx.export`). */
export interface ExportOptions {
  /** ONNX opset (default 17; 13 to 22; LayerNorm needs 17). */
  opsetVersion?: number;
  /** Names of the graph inputs (default `input`, `input.1`, ...). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default `output`, `output.1`, ...). */
  outputNames?: readonly string[];
  /** Per input or output name, the axes whose size may vary (`{ input: { 0: 'batch' } }`). */
  dynamicAxes?: Readonly<Record<string, DynamicAxesSpec>>;
  /**
   * Store initializers in `<file>.data` beside the model (default: only when they exceed the
   * 2 GB protobuf limit).
   */
  externalData?: boolean;
}

const MIN_OPSET = 13;
const MAX_OPSET = 22;
const PROTO_LIMIT = 2 ** 31 - 2 ** 24;
const EXTERNAL_MIN = 1024;
const OPTION_KEYS = new Set([
  'opsetVersion',
  'inputNames',
  'outputNames',
  'dynamicAxes',
  'externalData',
]);

function axesOf(spec: DynamicAxesSpec | undefined): Map<number, string | null> {
  const out = new Map<number, string | null>();
  if (!spec) return out;
  if (Array.isArray(spec)) for (const a of spec as number[]) out.set(a, null);
  else for (const [a, name] of Object.entries(spec)) out.set(Number(a), String(name));
  return out;
}

/** The dims of a graph input or output, named where dynamic. */
function dimsOf(
  v: Value,
  name: string,
  axes: Map<number, string | null>,
  known: Map<number, string>,
): (number | string)[] {
  return v.shape.map((d, i) => {
    if (!v.dynamic[i]) return d;
    return axes.get(i) ?? known.get(d) ?? `${name}_dim_${i}`;
  });
}

/** Serialized model bytes and the external data (empty when inline). */
export interface OnnxBytes {
  model: Uint8Array[];
  externalData: Uint8Array[];
}

/**
 * Traces `model` and encodes it as an ONNX ModelProto (see `export`). `dataFile` names the
 * external data file when initializers go there.
 *
 * @example
 * ```ts
 * const { model } = k.onnx.toBytes(net, [k.randn([1, 4])]);
 * ```
 */
export function toBytes(
  model: Module,
  exampleInputs: Tensor | readonly Tensor[],
  options: ExportOptions = {},
  dataFile = 'model.onnx.data',
): OnnxBytes {
  for (const key of Object.keys(options))
    if (!OPTION_KEYS.has(key)) throw new ValueError(`onnx.export: unknown option '${key}'`);
  const opset = options.opsetVersion ?? 17;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new ValueError(
      `onnx.export: opsetVersion must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`,
    );
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : [...exampleInputs];
  const inputNames = inputs.map(
    (_, i) => options.inputNames?.[i] ?? (i === 0 ? 'input' : `input.${i}`),
  );
  const dyn = options.dynamicAxes ?? {};
  const dynamicAxes = inputNames.map((name) => [...axesOf(dyn[name]).keys()]);
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let graph: ReturnType<typeof trace>;
  try {
    graph = trace(model, inputs, { inputNames, dynamicAxes });
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
  const outputNames = graph.outputs.map(
    (_, i) => options.outputNames?.[i] ?? (i === 0 ? 'output' : `output.${i}`),
  );
  for (const name of Object.keys(dyn))
    if (!inputNames.includes(name) && !outputNames.includes(name))
      throw new ValueError(
        `onnx.export: dynamicAxes names '${name}', which is neither an input nor an output (${[...inputNames, ...outputNames].join(', ')})`,
      );

  const names = [...inputNames, ...outputNames];
  if (new Set(names).size !== names.length)
    throw new ValueError(
      `onnx.export: input and output names must be distinct, got ${names.join(', ')}`,
    );

  const e = new Emitter(opset);
  graph.inputs.forEach((v, i) => {
    e.setName(v, inputNames[i]!);
  });
  // Outputs take their names unless the value is an input, a parameter or repeated: then an
  // Identity node (added last, under the name reserved here) gives the output its own name.
  const aliased = new Set<Value>();
  const identities = graph.outputs.map((v, i) => {
    if (v.kind === 'node' && !aliased.has(v)) {
      aliased.add(v);
      e.setName(v, outputNames[i]!);
      return null;
    }
    return e.fresh(outputNames[i]!);
  });
  for (const p of graph.parameters) e.name(p);
  for (const node of graph.nodes) {
    e.current = node;
    const handler = node.composite ? LAYERS[node.op] : PRIMITIVES[node.op];
    if (!handler) throw e.unsupported('no ONNX translation for this op');
    if (node.op === 'layerNorm' && opset < 17)
      throw e.unsupported('LayerNormalization needs opsetVersion >= 17');
    handler(
      e,
      node,
      node.inputs.map((v) => (v ? e.name(v) : '')),
      node.outputs.map((v) => e.name(v)),
    );
  }
  e.current = null;
  graph.outputs.forEach((v, i) => {
    const name = identities[i];
    if (name) e.node('Identity', [e.name(v)], {}, [name]);
  });
  const inits: Initializer[] = [...e.initializers];
  for (const v of [...graph.parameters, ...graph.constants]) {
    if (!v.data || !e.read.has(e.name(v))) continue;
    const t = v.data;
    const data = t.dataSync();
    inits.push({
      name: e.name(v),
      dims: [...t.shape],
      dataType: onnxType(t.dtype),
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
  }
  const total = inits.reduce((a, t) => a + t.bytes.length, 0);
  const external = options.externalData ?? total > PROTO_LIMIT;
  const externalData: Uint8Array[] = [];
  let offset = 0;
  const initializers = inits.map((t) => {
    // Small tensors (shapes, axes) stay inline, as onnx's own writer does, so shape inference
    // can read them without the data file.
    if (!external || t.bytes.length < EXTERNAL_MIN)
      return tensorProto(t.name, t.dims, t.dataType, t.bytes);
    const loc: ExternalLocation = { location: dataFile, offset, length: t.bytes.length };
    externalData.push(t.bytes);
    offset += t.bytes.length;
    // Keep each tensor 64-byte aligned in the data file (onnx's writer aligns large tensors).
    const pad = (64 - (offset % 64)) % 64;
    if (pad) externalData.push(new Uint8Array(pad));
    offset += pad;
    return tensorProto(t.name, t.dims, t.dataType, loc);
  });
  const sizes = new Map<number, string>();
  graph.inputs.forEach((v, i) => {
    const axes = axesOf(dyn[inputNames[i]!]);
    v.shape.forEach((d, a) => {
      if (v.dynamic[a] && !sizes.has(d)) sizes.set(d, axes.get(a) ?? `${inputNames[i]}_dim_${a}`);
    });
  });
  const proto = modelProto(
    {
      name: model.constructor.name,
      nodes: e.nodes,
      initializers,
      inputs: graph.inputs.map((v, i) =>
        valueInfo(
          inputNames[i]!,
          onnxType(v.dtype),
          dimsOf(v, inputNames[i]!, axesOf(dyn[inputNames[i]!]), sizes),
        ),
      ),
      outputs: graph.outputs.map((v, i) =>
        valueInfo(
          outputNames[i]!,
          onnxType(v.dtype),
          dimsOf(v, outputNames[i]!, axesOf(dyn[outputNames[i]!]), sizes),
        ),
      ),
    },
    opset,
    '0.1.0',
  );
  if (!external && proto.length > PROTO_LIMIT)
    throw new ValueError('onnx.export: the model exceeds 2 GB; pass externalData: true');
  return { model: proto.chunks, externalData };
}

/**
 * Exports `model` to an ONNX file, as `torch.onnx.export`: the forward is traced on
 * `exampleInputs` (in eval mode; the model's modes are restored afterwards) and written with
 * its parameters as initializers. `dynamicAxes` lets sizes such as the batch vary; an op with
 * no ONNX translation gives a `ValueError` naming its module path and op. The file is written
 * atomically; with `externalData` (or above 2 GB) initializers go to `<path>.data`.
 *
 * @example
 * ```ts
 * await k.onnx.export(model, [k.randn([1, 784])], 'mlp.onnx', {
 *   inputNames: ['x'], outputNames: ['logits'], dynamicAxes: { x: { 0: 'batch' }, logits: { 0: 'batch' } },
 * });
 * ```
 */
export async function exportModel(
  model: Module,
  exampleInputs: Tensor | readonly Tensor[],
  path: string,
  options: ExportOptions = {},
): Promise<void> {
  const dataFile = `${basename(path)}.data`;
  const bytes = toBytes(model, exampleInputs, options, dataFile);
  if (bytes.externalData.length > 0)
    await writeFileAtomic(join(dirname(path), dataFile), bytes.externalData);
  await writeFileAtomic(path, bytes.model);
}
