/**
 * A minimal protocol-buffers writer: enough of the wire format (varints, 32-bit floats and
 * length-delimited fields) to write ONNX's ModelProto without a dependency. Messages are built
 * bottom-up as byte chunks so large tensors are never copied into an intermediate buffer twice.
 */
const encoder = new TextEncoder();

/** A serialized message: a list of byte chunks and their total length. */
export class Message {
  readonly chunks: Uint8Array[] = [];
  length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.push(Uint8Array.from(bytes));
  }

  /** An int32/int64/enum/bool field (negative numbers as 64-bit two's complement). */
  int(field: number, value: number | bigint | boolean): this {
    this.key(field, 0);
    this.varint(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    return this;
  }

  /** Repeated int64 values, one key per value (proto2's unpacked default). */
  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  /** A 32-bit float field. */
  float(field: number, value: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  /** Repeated floats, one key per value. */
  floats(field: number, values: readonly number[]): this {
    for (const v of values) this.float(field, v);
    return this;
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  /** An embedded message field. */
  message(field: number, value: Message): this {
    this.key(field, 2);
    this.varint(value.length);
    for (const c of value.chunks) this.push(c);
    return this;
  }
}
