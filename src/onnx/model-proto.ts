import type { DType } from '../tensor/dtype.js';
import { Message } from './protobuf.js';

/** ONNX TensorProto.DataType codes. */
export const ONNX_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
} as const;

/** The ONNX element type of a kiln dtype. */
export function onnxType(dtype: DType): number {
  return ONNX_TYPE[dtype];
}

/** An ONNX node attribute, tagged by its kind. */
export type OnnxAttr =
  | { i: number }
  | { f: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { s: string }
  | { strings: readonly string[] }
  | { t: Message };

/** AttributeProto for one attribute. */
function attribute(name: string, a: OnnxAttr): Message {
  const m = new Message().string(1, name);
  if ('i' in a) return m.int(3, a.i).int(20, 2);
  if ('f' in a) return m.float(2, a.f).int(20, 1);
  if ('ints' in a) return m.ints(8, a.ints).int(20, 7);
  if ('floats' in a) return m.floats(7, a.floats).int(20, 6);
  if ('s' in a) return m.string(4, a.s).int(20, 3);
  if ('strings' in a) {
    for (const s of a.strings) m.string(9, s);
    return m.int(20, 8);
  }
  return m.message(5, a.t).int(20, 4);
}

/** NodeProto. Empty input names mark omitted optional inputs, as ONNX specifies. */
export function nodeProto(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attrs: Readonly<Record<string, OnnxAttr>>,
): Message {
  const m = new Message();
  for (const i of inputs) m.string(1, i);
  for (const o of outputs) m.string(2, o);
  m.string(3, name).string(4, opType);
  for (const [k, a] of Object.entries(attrs)) m.message(5, attribute(k, a));
  return m;
}

/** Where an initializer's bytes live when they are not inside the model file. */
export interface ExternalLocation {
  location: string;
  offset: number;
  length: number;
}

/** TensorProto with raw little-endian data, or a reference to an external data file. */
export function tensorProto(
  name: string,
  dims: readonly number[],
  dataType: number,
  raw: Uint8Array | ExternalLocation,
): Message {
  const m = new Message().ints(1, dims).int(2, dataType).string(8, name);
  if (raw instanceof Uint8Array) return m.bytes(9, raw);
  for (const [key, value] of [
    ['location', raw.location],
    ['offset', String(raw.offset)],
    ['length', String(raw.length)],
  ] as const) {
    m.message(13, new Message().string(1, key).string(2, value));
  }
  return m.int(14, 1);
}

/** ValueInfoProto of a tensor: a number is a fixed dim, a string a named dynamic one. */
export function valueInfo(
  name: string,
  dataType: number,
  dims: readonly (number | string)[],
): Message {
  const shape = new Message();
  for (const d of dims) {
    const dim = new Message();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Message().int(1, dataType).message(2, shape);
  return new Message().string(1, name).message(2, new Message().message(1, tensorType));
}

/** The parts of a GraphProto. */
export interface GraphParts {
  name: string;
  nodes: readonly Message[];
  initializers: readonly Message[];
  inputs: readonly Message[];
  outputs: readonly Message[];
}

/** ModelProto: IR version, producer, opset import and the graph. */
export function modelProto(
  graph: GraphParts,
  opsetVersion: number,
  producerVersion: string,
): Message {
  const g = new Message();
  for (const n of graph.nodes) g.message(1, n);
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, t);
  for (const i of graph.inputs) g.message(11, i);
  for (const o of graph.outputs) g.message(12, o);
  // IR version 8 goes with opsets up to 18, 9 with 19-20, 10 with 21-22 (onnx/helper.py's table).
  const ir = opsetVersion <= 18 ? 8 : opsetVersion <= 20 ? 9 : 10;
  return new Message()
    .int(1, ir)
    .string(2, 'kiln')
    .string(3, producerVersion)
    .message(7, g)
    .message(8, new Message().string(1, '').int(2, opsetVersion));
}
