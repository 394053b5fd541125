import { inflateRawSync } from 'node:zlib';
import { CheckpointError } from '../tensor/errors.js';

/** One file in a zip archive, located but not yet read. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Entries beyond this are refused (a checkpoint has a few per tensor). */
const MAX_ENTRIES = 1 << 20;

function fail(source: string, what: string): never {
  throw new CheckpointError(`${source}: not a readable zip archive: ${what}`);
}

/** Little-endian reads with bounds checks that name the file. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(at: number, n: number, what: string): void {
    if (!Number.isSafeInteger(at) || at < 0 || at + n > this.bytes.length)
      fail(this.source, `${what} at offset ${at} lies outside the ${this.bytes.length}-byte file`);
  }
  u16(at: number, what: string): number {
    this.check(at, 2, what);
    return this.view.getUint16(at, true);
  }
  u32(at: number, what: string): number {
    this.check(at, 4, what);
    return this.view.getUint32(at, true);
  }
  u64(at: number, what: string): number {
    this.check(at, 8, what);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(this.source, `${what} ${v} is too large`);
    return Number(v);
  }
}

/** Values of the zip64 extended-information extra field that replace 0xFFFFFFFF fields. */
function zip64Extra(r: Reader, at: number, length: number, wanted: boolean[]): number[] {
  const out: number[] = [];
  let p = at;
  while (p + 4 <= at + length) {
    const id = r.u16(p, 'extra field id');
    const size = r.u16(p + 2, 'extra field size');
    if (id === 0x0001) {
      let q = p + 4;
      for (const w of wanted) {
        if (!w) continue;
        if (q + 8 > p + 4 + size) fail(r.source, 'zip64 extra field too short');
        out.push(r.u64(q, 'zip64 size'));
        q += 8;
      }
      return out;
    }
    p += 4 + size;
  }
  return out;
}

/**
 * The entries of a zip archive held in memory, from its central directory (zip64 included), as
 * `torch.save` writes them. Every offset and size is checked against the buffer.
 */
export function readZipDirectory(bytes: Uint8Array, source: string): ZipEntry[] {
  const r = new Reader(bytes, source);
  if (bytes.length < 22) fail(source, `only ${bytes.length} bytes`);
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 65535); p--) {
    if (r.u32(p, 'signature') === EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail(source, 'no end-of-central-directory record (truncated?)');
  let count = r.u16(eocd + 10, 'entry count');
  let cdSize = r.u32(eocd + 12, 'central directory size');
  let cdOffset = r.u32(eocd + 16, 'central directory offset');
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || r.u32(loc, 'zip64 locator') !== EOCD64_LOCATOR)
      fail(source, 'zip64 locator missing');
    const rec = r.u64(loc + 8, 'zip64 record offset');
    if (r.u32(rec, 'zip64 record') !== EOCD64) fail(source, 'zip64 end record missing');
    count = r.u64(rec + 32, 'zip64 entry count');
    cdSize = r.u64(rec + 40, 'zip64 directory size');
    cdOffset = r.u64(rec + 48, 'zip64 directory offset');
  }
  if (count > MAX_ENTRIES) fail(source, `${count} entries`);
  r.check(cdOffset, cdSize, 'central directory');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (r.u32(p, 'central directory entry') !== CENTRAL)
      fail(source, `entry ${i} has a bad signature`);
    const method = r.u16(p + 10, 'method');
    let compressedSize = r.u32(p + 20, 'compressed size');
    let size = r.u32(p + 24, 'size');
    const nameLength = r.u16(p + 28, 'name length');
    const extraLength = r.u16(p + 30, 'extra length');
    const commentLength = r.u16(p + 32, 'comment length');
    let localHeaderOffset = r.u32(p + 42, 'local header offset');
    r.check(p + 46, nameLength + extraLength + commentLength, 'entry name');
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    const wanted = [
      size === 0xffffffff,
      compressedSize === 0xffffffff,
      localHeaderOffset === 0xffffffff,
    ];
    if (wanted.some(Boolean)) {
      const values = zip64Extra(r, p + 46 + nameLength, extraLength, wanted);
      if (values.length !== wanted.filter(Boolean).length)
        fail(source, `entry '${name}' lacks its zip64 sizes`);
      if (wanted[0]) size = values.shift()!;
      if (wanted[1]) compressedSize = values.shift()!;
      if (wanted[2]) localHeaderOffset = values.shift()!;
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The bytes of one entry (stored, or deflated with its declared size as the hard output limit,
 * so a zip bomb cannot allocate more than the directory says).
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, source: string): Uint8Array {
  const r = new Reader(bytes, source);
  const at = entry.localHeaderOffset;
  if (r.u32(at, `local header of '${entry.name}'`) !== LOCAL)
    fail(source, `entry '${entry.name}' has a bad local header`);
  const start = at + 30 + r.u16(at + 26, 'name length') + r.u16(at + 28, 'extra length');
  r.check(start, entry.compressedSize, `data of '${entry.name}'`);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size)
      fail(source, `stored entry '${entry.name}' has two sizes`);
    return data;
  }
  if (entry.method !== 8)
    fail(
      source,
      `entry '${entry.name}' uses compression method ${entry.method} (only stored and deflate are read)`,
    );
  // A deflate stream expands at most 1032:1; anything claiming more is refused before inflating.
  if (entry.size > entry.compressedSize * 1032 + 64)
    fail(source, `entry '${entry.name}' claims ${entry.size} bytes from ${entry.compressedSize}`);
  let out: Buffer;
  try {
    out = inflateRawSync(data, { maxOutputLength: Math.max(entry.size, 1) });
  } catch (e) {
    fail(source, `entry '${entry.name}' does not inflate (${(e as Error).message})`);
  }
  if (out.length !== entry.size)
    fail(source, `entry '${entry.name}' inflates to ${out.length} bytes, not ${entry.size}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
