/**
 * TensorBoard event files, written by hand: the TFRecord framing (little-endian uint64 length,
 * masked CRC32C of the length, data, masked CRC32C of the data) around `tensorflow.Event`
 * protos encoded with a small protobuf writer. Only what scalars need:
 *
 * ```
 * message Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 * message Summary { repeated Value value = 1; }
 * message Value   { string tag = 1; float simple_value = 2; }
 * ```
 */

/** CRC32C (Castagnoli, reflected polynomial 0x82F63B78) lookup table. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC32C of bytes, as TFRecord uses.
 *
 * @example
 * ```ts
 * k.track.crc32c(new TextEncoder().encode('123456789')).toString(16); // 'e3069283'
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay strong. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** A growable protobuf message writer (wire types 0, 1, 2, 5). */
class ProtoWriter {
  private bytes: number[] = [];

  private varint(v: number): void {
    // Non-negative integers up to 2^53: split with arithmetic, since bit ops are 32-bit.
    let n = v;
    while (n >= 0x80) {
      this.bytes.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.bytes.push(n);
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  uint(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.bytes.push(...b);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes.push(...b);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varint(data.length);
    this.bytes.push(...data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** One scalar of an event. */
export interface Scalar {
  tag: string;
  value: number;
}

/** An `Event` proto: the file-version header (no scalars) or scalars at a step. */
export function encodeEvent(
  wallTime: number,
  step: number,
  scalars: readonly Scalar[] | string,
): Uint8Array {
  const event = new ProtoWriter().double(1, wallTime);
  if (step !== 0) event.uint(2, step);
  if (typeof scalars === 'string') return event.string(3, scalars).finish();
  const summary = new ProtoWriter();
  for (const s of scalars)
    summary.bytesField(1, new ProtoWriter().string(1, s.tag).float(2, s.value).finish());
  return event.bytesField(5, summary.finish()).finish();
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** Points of one run, to write as an event file. */
export interface EventPoint {
  key: string;
  step: number;
  value: number;
  /** Wall time in ms since the epoch. */
  time: number;
}

/**
 * The bytes of a whole event file: the `brain.Event:2` header, then one event per step with
 * every scalar logged at that step (in time order), as TensorBoard's own writers produce.
 *
 * @example
 * ```ts
 * const bytes = k.track.eventFile([{ key: 'loss', step: 1, value: 0.5, time: Date.now() }], Date.now());
 * ```
 */
export function eventFile(points: readonly EventPoint[], startTime: number): Uint8Array {
  const records = [tfRecord(encodeEvent(startTime / 1000, 0, 'brain.Event:2'))];
  const sorted = [...points].sort((a, b) => a.step - b.step || a.time - b.time);
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.step === sorted[i]!.step) j++;
    const group = sorted.slice(i, j);
    const time = Math.max(...group.map((p) => p.time)) / 1000;
    records.push(
      tfRecord(
        encodeEvent(
          time,
          group[0]!.step,
          group.map((p) => ({ tag: p.key, value: p.value })),
        ),
      ),
    );
    i = j;
  }
  const total = records.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}
