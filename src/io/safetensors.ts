import { CheckpointError, fmtShape } from '../tensor/errors.js';
import { contiguousStrides } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import {
  convertBytes,
  dtypeInfo,
  isKnownUnsupported,
  isSafetensorsDType,
  type SafetensorsDType,
  WRITE_NAME,
  WRITE_RANK,
} from './dtypes.js';
import { halfBytes, type SaveOptions } from './half.js';

/*
 * The safetensors format (https://github.com/huggingface/safetensors):
 *   [8 bytes] N, unsigned 64-bit little-endian
 *   [N bytes] UTF-8 JSON object: { "__metadata__"?: { [k]: string },
 *                                  [name]: { dtype, shape, data_offsets: [begin, end] } }
 *   [rest]    the data buffer; offsets are relative to its start and must tile it without gaps.
 * Tensor bytes are little-endian and row-major. kiln assumes a little-endian host (every platform
 * Node ships on); big-endian hosts are not supported.
 */

/** Header sizes above this are rejected before anything is allocated (the reference uses 100 MB). @example `k.io.MAX_HEADER_BYTES; // 100000000` */
export const MAX_HEADER_BYTES = 100_000_000;

/** Decoded tensors and the string metadata of a safetensors file. @example `const { tensors, metadata }: k.io.SafetensorsContents = await k.io.load(path);` */
export interface SafetensorsContents {
  /** Tensors by name, contiguous, each owning its storage. Key order is the header's order. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` map; `{}` when the file has none. */
  metadata: Record<string, string>;
}

/** One validated header entry. @internal */
export interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

/** A validated header: entries sorted by offset, and metadata. @internal */
export interface ParsedHeader {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
}

function fail(source: string, message: string): never {
  throw new CheckpointError(`safetensors: ${source}: ${message}`);
}

/** Sets an own enumerable key, so names such as `__proto__` stay data, never a prototype. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Reads the header length from the first 8 bytes and checks it against the file size and the cap,
 * so no later step allocates from an unchecked number. @internal
 */
export function readHeaderLength(prefix: Uint8Array, fileLength: number, source: string): number {
  if (fileLength < 8 || prefix.length < 8) {
    fail(source, `truncated: the file has ${fileLength} bytes, the header length alone needs 8`);
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const lo = view.getUint32(0, true);
  // Stryker disable next-line BooleanLiteral: a non-zero high word exceeds the cap in either byte order
  const hi = view.getUint32(4, true);
  const n = hi * 4294967296 + lo; // exact below 2^53; larger values fail the cap test anyway
  if (n > MAX_HEADER_BYTES) {
    fail(source, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (n > fileLength - 8) {
    fail(source, `header length ${n} runs past the end of the file (${fileLength} bytes)`);
  }
  if (n < 2) fail(source, `header length ${n} is too small for a JSON object`);
  return n;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkEntry(name: string, raw: unknown, dataLength: number, source: string): HeaderEntry {
  const field = `tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(raw)) fail(source, `${field}: expected an object, got ${typeName(raw)}`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isSafetensorsDType(dtype)) {
    const why = typeof dtype === 'string' && isKnownUnsupported(dtype) ? 'unsupported' : 'unknown';
    fail(source, `${field}: field "dtype": ${why} dtype ${JSON.stringify(dtype) ?? 'undefined'}`);
  }
  if (!Array.isArray(shape)) fail(source, `${field}: field "shape": expected a list`);
  let numel = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(
        source,
        `${field}: field "shape": ${JSON.stringify(shape)} is not a list of non-negative integers`,
      );
    }
    numel *= d;
    if (numel > Number.MAX_SAFE_INTEGER) fail(source, `${field}: field "shape": too many elements`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    fail(
      source,
      `${field}: field "data_offsets": expected [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(source, `${field}: field "data_offsets": begin ${begin} > end ${end}`);
  if (end > dataLength) {
    fail(
      source,
      `${field}: field "data_offsets": end ${end} is past the data buffer (${dataLength} bytes)`,
    );
  }
  const { itemSize } = dtypeInfo(dtype);
  if (end - begin !== numel * itemSize) {
    fail(
      source,
      `${field}: field "data_offsets": [${begin}, ${end}] holds ${end - begin} bytes, shape ${fmtShape(shape as number[])} of ${dtype} needs ${numel * itemSize}`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], numel, begin, end };
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}

/**
 * Validates the JSON header against the data buffer length: types, dtypes, shapes, offsets, and
 * that the tensors tile the buffer exactly (no overlap, no hole, nothing trailing). @internal
 */
export function parseHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  source: string,
): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail(source, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(source, 'header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(source, `header is not valid JSON (${(e as Error).message})`);
  }
  // JSON text that starts with '{' and parses is an object.
  const header = json as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(raw))
        fail(source, `field "__metadata__": expected an object of strings, got ${typeName(raw)}`);
      for (const [key, value] of Object.entries(raw)) {
        if (typeof value !== 'string') {
          fail(source, `field "__metadata__.${key}": expected a string, got ${typeName(value)}`);
        }
        setOwn(metadata, key, value);
      }
    } else {
      entries.push(checkEntry(name, raw, dataLength, source));
    }
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) {
      fail(
        source,
        `tensor ${JSON.stringify(e.name)}: field "data_offsets": [${e.begin}, ${e.end}] overlaps the previous tensor (ends at ${cursor})`,
      );
    }
    if (e.begin > cursor) {
      fail(
        source,
        `tensor ${JSON.stringify(e.name)}: field "data_offsets": bytes ${cursor}..${e.begin} before it belong to no tensor`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataLength) {
    fail(
      source,
      `data buffer has ${dataLength} bytes but the tensors cover ${cursor} (trailing bytes)`,
    );
  }
  return { entries, metadata };
}

/** Builds the tensor for a validated entry from its raw bytes (exactly `end - begin` long). @internal */
export function entryTensor(
  entry: HeaderEntry,
  raw: Uint8Array,
  source: string,
  // Stryker disable next-line BooleanLiteral: decodeSafetensors's views start past the header, never at byte 0 of their buffer, so convertBytes copies either way
  owned = false,
): Tensor {
  const storage = convertBytes(entry.dtype, raw, entry.numel, owned);
  if (typeof storage === 'string') {
    fail(source, `tensor ${JSON.stringify(entry.name)} (${entry.dtype}): ${storage}`);
  }
  const shape = entry.shape;
  return new Tensor(storage, shape, contiguousStrides(shape), 0, dtypeInfo(entry.dtype).kiln);
}

/**
 * Decodes a safetensors file held in memory. Every structural problem is a `CheckpointError` that
 * names `source` and the offending field. The returned tensors own copies of their bytes.
 *
 * @example
 * ```ts
 * const bytes = k.io.encodeSafetensors({ w: k.ones([2, 2]) });
 * const { tensors } = k.io.decodeSafetensors(bytes);
 * tensors.w.shape; // [2, 2]
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: { source?: string } = {},
): SafetensorsContents {
  const source = options.source ?? '<bytes>';
  if (!(bytes instanceof Uint8Array)) fail(source, 'expected a Uint8Array');
  const n = readHeaderLength(bytes.subarray(0, 8), bytes.length, source);
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(
    bytes.subarray(8, dataStart),
    bytes.length - dataStart,
    source,
  );
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    setOwn(
      tensors,
      e.name,
      entryTensor(e, bytes.subarray(dataStart + e.begin, dataStart + e.end), source),
    );
  }
  return { tensors, metadata };
}

/** A file laid out in memory: the prefix and header, and one owned byte copy per tensor. @internal */
export interface EncodedParts {
  head: Uint8Array;
  parts: Uint8Array[];
  totalBytes: number;
}

function compareUtf8(a: string, b: string): number {
  // Rust sorts names by their UTF-8 bytes; UTF-16 code-unit order differs above U+FFFF.
  return Buffer.compare(Buffer.from(a), Buffer.from(b)); // Buffer.from encodes UTF-8
}

function checkName(name: string, what: string): void {
  if (new TextDecoder().decode(new TextEncoder().encode(name)) !== name) {
    throw new CheckpointError(
      `safetensors: ${what} ${JSON.stringify(name)} is not well-formed Unicode`,
    );
  }
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Copies a tensor's elements, row-major, into fresh little-endian bytes. */
function tensorBytes(t: Tensor): Uint8Array {
  const n = t.numel();
  const size = t.storage.BYTES_PER_ELEMENT;
  const src =
    // Stryker disable next-line ConditionalExpression: the view only saves a copy; dataSync() gives the same bytes
    t.isContiguous()
      ? new Uint8Array(t.storage.buffer, t.storage.byteOffset + t.offset * size, n * size)
      : asBytes(t.dataSync());
  const out = src.slice(0, n * size);
  if (t.dtype === 'bool') for (let i = 0; i < n; i++) out[i] = out[i] !== 0 ? 1 : 0;
  return out;
}

/**
 * Lays out tensors as safetensors without joining them, so large files can be streamed. Order:
 * dtype rank (F64, F32, I32, BOOL) then UTF-8 name, as the reference writer, which keeps each
 * tensor aligned to its item size and makes output byte-identical to `safetensors.torch.save_file`
 * for the same tensors (metadata keys are sorted, where the reference leaves them unordered).
 * @internal
 */
export function encodeParts(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
  options: SaveOptions = {},
): EncodedParts {
  const half = options.dtype ?? null;
  if (half !== null && half !== 'float16' && half !== 'bfloat16')
    throw new CheckpointError(`safetensors: dtype must be 'float16' or 'bfloat16', got '${half}'`);
  // Float tensors written as F16/BF16 sort after I32, as the reference orders its dtypes.
  const halved = (t: Tensor) => half !== null && (t.dtype === 'float32' || t.dtype === 'float64');
  const rank = (t: Tensor) =>
    halved(t) ? (half === 'bfloat16' ? 2.25 : 2.5) : WRITE_RANK[t.dtype];
  const nameOf = (t: Tensor) =>
    halved(t) ? (half === 'bfloat16' ? 'BF16' : 'F16') : WRITE_NAME[t.dtype];
  if (!isPlainObject(tensors))
    throw new CheckpointError('safetensors: tensors must be an object of name -> Tensor');
  const names = Object.keys(tensors);
  for (const name of names) {
    if (!(tensors[name] instanceof Tensor)) {
      throw new CheckpointError(
        `safetensors: ${JSON.stringify(name)} is not a Tensor (got ${typeName(tensors[name])})`,
      );
    }
    if (name === '__metadata__') {
      throw new CheckpointError('safetensors: "__metadata__" is reserved and cannot name a tensor');
    }
    checkName(name, 'tensor name');
  }
  names.sort((a, b) => {
    const ta = tensors[a]!;
    const tb = tensors[b]!;
    return rank(ta) - rank(tb) || compareUtf8(a, b);
  });
  const pieces: string[] = [];
  const metaKeys = Object.keys(metadata).sort(compareUtf8);
  if (metaKeys.length > 0) {
    const meta = metaKeys.map((key) => {
      const value = metadata[key];
      if (typeof value !== 'string') {
        throw new CheckpointError(
          `safetensors: metadata ${JSON.stringify(key)} must be a string, got ${typeName(value)}`,
        );
      }
      checkName(key, 'metadata key');
      checkName(value, 'metadata value');
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
    pieces.push(`"__metadata__":{${meta.join(',')}}`);
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const bytes = halved(t) ? halfBytes(t, half!) : tensorBytes(t);
    parts.push(bytes);
    const info = `{"dtype":"${nameOf(t)}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes.length}]}`;
    pieces.push(`${JSON.stringify(name)}:${info}`);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(`{${pieces.join(',')}}`);
  // Spaces pad the header so the data buffer starts 8-byte aligned, as the spec recommends.
  const n = Math.ceil(json.length / 8) * 8;
  if (n > MAX_HEADER_BYTES)
    throw new CheckpointError(
      `safetensors: header of ${n} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  const head = new Uint8Array(8 + n).fill(0x20, 8 + json.length);
  new DataView(head.buffer).setUint32(0, n, true);
  head.set(json, 8);
  return { head, parts, totalBytes: head.length + offset };
}

/**
 * Encodes tensors as a safetensors file in memory. Non-contiguous tensors are written row-major;
 * float32, float64, int32 and bool map to F32, F64, I32 and BOOL. Tensors are ordered by dtype
 * (F64, F32, I32, BOOL) then by name, as the reference implementation orders them.
 *
 * @example
 * ```ts
 * const bytes = k.io.encodeSafetensors({ w: k.randn([3, 4]) }, { step: '10' });
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
  options: SaveOptions = {},
): Uint8Array {
  const { head, parts, totalBytes } = encodeParts(tensors, metadata, options);
  const out = new Uint8Array(totalBytes);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
