/**
 * Builders of small hand-made PyTorch files for the hostile-input tests: a pickle writer for
 * the opcodes torch.save uses, and a zip writer (stored entries).
 */
const enc = new TextEncoder();

/** Pickle opcodes, written by name. */
export class Pickle {
  private readonly parts: number[] = [0x80, 2];
  op(...codes: number[]): this {
    this.parts.push(...codes);
    return this;
  }
  str(s: string): this {
    const b = enc.encode(s);
    this.parts.push(0x8c, b.length, ...b);
    return this;
  }
  int(n: number): this {
    if (n >= 2 ** 31) {
      // LONG1 with 8 bytes
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
      this.parts.push(0x8a, 8, ...b);
      return this;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    this.parts.push(0x4a, ...b);
    return this;
  }
  global(module: string, name: string): this {
    this.parts.push(0x63, ...enc.encode(`${module}\n${name}\n`));
    return this;
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  /** `_rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`. */
  tensor(key: string, numel: number, offset: number, size: number[], stride: number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark()
      .str('storage')
      .global('torch', 'FloatStorage')
      .str(key)
      .str('cpu')
      .int(numel)
      .tuple()
      .op(0x51);
    this.int(offset).mark();
    for (const s of size) this.int(s);
    this.tuple().mark();
    for (const s of stride) this.int(s);
    this.tuple().op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52).tuple().op(0x52);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from([...this.parts, 0x2e]);
  }
}

/** A zip archive of stored entries (what torch.save writes, without its alignment padding). */
export function zip(files: Record<string, Uint8Array>): Uint8Array {
  const local: number[] = [];
  const central: number[] = [];
  const u16 = (a: number[], v: number) => a.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (a: number[], v: number) =>
    a.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
  const names = Object.keys(files);
  for (const name of names) {
    const data = files[name]!;
    const nb = enc.encode(name);
    const offset = local.length;
    u32(local, 0x04034b50);
    for (const v of [20, 0, 0, 0, 0]) u16(local, v);
    for (const v of [0, data.length, data.length]) u32(local, v);
    u16(local, nb.length);
    u16(local, 0);
    local.push(...nb, ...data);
    u32(central, 0x02014b50);
    for (const v of [20, 20, 0, 0, 0, 0]) u16(central, v);
    for (const v of [0, data.length, data.length]) u32(central, v);
    for (const v of [nb.length, 0, 0, 0, 0]) u16(central, v);
    u32(central, 0);
    u32(central, offset);
    central.push(...nb);
  }
  const end: number[] = [];
  u32(end, 0x06054b50);
  for (const v of [0, 0, names.length, names.length]) u16(end, v);
  u32(end, central.length);
  u32(end, local.length);
  u16(end, 0);
  return Uint8Array.from([...local, ...central, ...end]);
}

/** A torch-style archive: data.pkl and the given storages under `archive/`. */
export function torchZip(
  pickle: Uint8Array,
  storages: Record<string, Float32Array> = {},
): Uint8Array {
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': pickle };
  for (const [key, data] of Object.entries(storages))
    files[`archive/data/${key}`] = new Uint8Array(data.buffer);
  files['archive/version'] = enc.encode('3\n');
  return zip(files);
}
