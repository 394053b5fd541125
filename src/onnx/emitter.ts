import type { Node, Value } from '../graph/ir.js';
import type { DType } from '../tensor/dtype.js';
import { ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { nodeProto, ONNX_TYPE, type OnnxAttr, onnxType } from './model-proto.js';
import type { Message } from './protobuf.js';

/** An initializer before it is serialized (so large data can go to an external file). */
export interface Initializer {
  name: string;
  dims: readonly number[];
  dataType: number;
  bytes: Uint8Array;
}

/** Little-endian bytes of a typed array's elements (kiln targets little-endian hosts). */
function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The elements of t in row-major order, in a typed array of its dtype. */
export function contiguousData(t: Tensor): Float32Array | Float64Array | Int32Array | Uint8Array {
  return t.dataSync() as Float32Array | Float64Array | Int32Array | Uint8Array;
}

/**
 * Collects ONNX nodes and initializers while the exporter walks a traced graph: names values,
 * makes fresh names for intermediate results, and turns numbers and tensors into initializers.
 */
export class Emitter {
  readonly nodes: Message[] = [];
  readonly initializers: Initializer[] = [];
  private readonly names = new Map<Value, string>();
  /** Every name some node reads (parameters a handler replaced, as an LSTM's, are not). */
  readonly read = new Set<string>();
  private readonly used = new Set<string>();
  private counter = 0;
  /** The node being exported, for names and error messages. */
  current: Node | null = null;

  constructor(readonly opset: number) {}

  /** A name no other value has, derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Gives v a chosen name (inputs, outputs, parameters). */
  setName(v: Value, name: string): string {
    const n = this.fresh(name);
    this.names.set(v, n);
    return n;
  }

  /** The ONNX name of v (named on first use). */
  name(v: Value): string {
    return this.names.get(v) ?? this.setName(v, v.name);
  }

  /** Emits a node; returns its output names (fresh ones unless given). */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, OnnxAttr>> = {},
    outputs: readonly string[] | number = 1,
  ): string[] {
    const scope = this.current ? `/${this.current.path || 'root'}` : '';
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(`${scope}/${opType}_output`))
        : [...outputs];
    for (const i of inputs) this.read.add(i);
    this.nodes.push(nodeProto(opType, inputs, outs, this.fresh(`${scope}/${opType}`), attrs));
    return outs;
  }

  /** Adds an initializer from raw data; returns its name. */
  initializer(
    hint: string,
    dims: readonly number[],
    dataType: number,
    data: ArrayBufferView,
  ): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dims: [...dims], dataType, bytes: bytesOf(data) });
    return name;
  }

  /** An int64 initializer (shapes, axes, pads). */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.initializer('const_i64', dims, ONNX_TYPE.int64, data);
  }

  /** A scalar (or shaped) initializer of a kiln dtype. */
  scalar(value: number | readonly number[], dtype: DType, dims: readonly number[] = []): string {
    const values = typeof value === 'number' ? [value] : value;
    const data =
      dtype === 'float32'
        ? Float32Array.from(values)
        : dtype === 'float64'
          ? Float64Array.from(values)
          : dtype === 'int32'
            ? Int32Array.from(values)
            : Uint8Array.from(values.map((v) => (v ? 1 : 0)));
    return this.initializer('const', dims, onnxType(dtype), data);
  }

  /** An initializer holding a tensor's values. */
  tensor(t: Tensor, hint: string): string {
    return this.initializer(hint, t.shape, onnxType(t.dtype), contiguousData(t));
  }

  /** An error naming the node's module path and op. */
  unsupported(detail: string): ValueError {
    const n = this.current;
    const where = n ? `'${n.op}' in module '${n.path || '<root>'}'` : 'graph';
    return new ValueError(`onnx.export: cannot export ${where}: ${detail}`);
  }
}
