import { readFile } from 'node:fs/promises';
import type { TypedArray } from '../tensor/dtype.js';
import { CheckpointError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { ioError } from './atomic.js';
import { convertBytes, dtypeInfo, type SafetensorsDType } from './dtypes.js';
import { setOwn } from './safetensors.js';
import { kind, PyDict, PyGlobal, TensorSpec, unpickle } from './unpickle.js';
import { readZipDirectory, readZipEntry } from './zip.js';

/** A value read from a PyTorch file: tensors, numbers, strings, booleans, null, lists, records. */
export type TorchValue =
  | Tensor
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | TorchValue[]
  | TorchRecord;

/** A Python dict read from a PyTorch file (keys as strings; `OrderedDict`s included). */
export interface TorchRecord {
  [key: string]: TorchValue;
}

/** Storage types and the element formats kiln converts them from. */
const STORAGE: Record<string, SafetensorsDType> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** A storage a pickle refers to: its element type, key and element count. */
interface StorageRef {
  readonly format: SafetensorsDType;
  readonly key: string;
  readonly numel: number;
}

function storageRef(pid: unknown, source: string, legacy: boolean): StorageRef {
  const fail = (what: string): never => {
    throw new CheckpointError(`${source}: bad storage reference: ${what}`);
  };
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== (legacy ? 6 : 5))
    return fail(kind(pid));
  const [, type, key, , numel] = pid as unknown[];
  if (!(type instanceof PyGlobal) || !(type.name in STORAGE)) return fail(`type ${kind(type)}`);
  if (typeof key !== 'string') return fail(`key ${kind(key)}`);
  if (!Number.isSafeInteger(numel) || (numel as number) < 0) return fail(`element count ${numel}`);
  if (legacy && pid[5] !== null)
    return fail('storage views of the legacy format are not supported');
  return { format: STORAGE[(type as PyGlobal).name]!, key: key as string, numel: numel as number };
}

/** Converts the unpickled structure into records, arrays and tensors (shared values once). */
class Resolver {
  private readonly storages = new Map<string, TypedArray>();
  private readonly done = new Map<unknown, TorchValue>();

  constructor(
    private readonly source: string,
    private readonly bytesOf: (ref: StorageRef) => Uint8Array,
  ) {}

  private fail(what: string): never {
    throw new CheckpointError(`${this.source}: ${what}`);
  }

  private storage(ref: StorageRef): TypedArray {
    const cached = this.storages.get(ref.key);
    if (cached) return cached;
    const bytes = this.bytesOf(ref);
    const need = ref.numel * dtypeInfo(ref.format).itemSize;
    if (bytes.length < need)
      this.fail(
        `storage '${ref.key}' holds ${bytes.length} bytes, ${need} expected for ${ref.numel} elements`,
      );
    const data = convertBytes(ref.format, bytes, ref.numel);
    if (typeof data === 'string') this.fail(`storage '${ref.key}': ${data}`);
    this.storages.set(ref.key, data as TypedArray);
    return data as TypedArray;
  }

  private tensor(spec: TensorSpec): Tensor {
    const ref = spec.storage as StorageRef;
    if (!ref || typeof ref !== 'object' || !('format' in ref))
      this.fail(`tensor without a storage (${kind(spec.storage)})`);
    const ints = (v: unknown, what: string): number[] => {
      if (!Array.isArray(v) || v.length > 64 || v.some((d) => !Number.isSafeInteger(d) || d < 0))
        this.fail(`tensor ${what} ${JSON.stringify(v)} is not a list of non-negative integers`);
      return v as number[];
    };
    const size = ints(spec.size, 'size');
    const stride = ints(spec.stride, 'stride');
    const offset = spec.offset;
    if (stride.length !== size.length)
      this.fail(`tensor size [${size}] and stride [${stride}] differ in length`);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0)
      this.fail(`tensor storage offset ${offset} is invalid`);
    const data = this.storage(ref);
    const empty = size.some((d) => d === 0);
    const last = size.reduce((acc, d, i) => acc + (d - 1) * stride[i]!, offset as number);
    if (!empty && (!Number.isSafeInteger(last) || last >= ref.numel))
      this.fail(
        `tensor of size [${size}], stride [${stride}] at offset ${offset} reaches element ${last} of a ${ref.numel}-element storage '${ref.key}'`,
      );
    const dtype =
      ref.format === 'F64'
        ? 'float64'
        : ref.format === 'BOOL'
          ? 'bool'
          : dtypeInfo(ref.format).kiln;
    return new Tensor(data, [...size], [...stride], empty ? 0 : (offset as number), dtype);
  }

  resolve(v: unknown): TorchValue {
    if (typeof v === 'bigint')
      this.fail(`integer ${v} is outside the range of a JavaScript number`);
    if (
      v === null ||
      typeof v === 'number' ||
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      v instanceof Uint8Array
    )
      return v;
    const seen = this.done.get(v);
    if (seen !== undefined) return seen;
    if (v instanceof TensorSpec) {
      const t = this.tensor(v);
      this.done.set(v, t);
      return t;
    }
    if (Array.isArray(v)) {
      const out: TorchValue[] = [];
      this.done.set(v, out);
      for (const item of v) out.push(this.resolve(item));
      return out;
    }
    if (v instanceof PyDict) {
      const out: TorchRecord = {};
      this.done.set(v, out);
      for (const [key, value] of v.items) {
        if (typeof key !== 'string' && typeof key !== 'number')
          this.fail(`dict key of type ${kind(key)}`);
        setOwn(out, String(key), this.resolve(value));
      }
      return out;
    }
    return this.fail(`a ${kind(v)} cannot be returned (weights_only)`);
  }
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function decodeLegacy(bytes: Uint8Array, source: string): TorchValue {
  const none = () => {
    throw new CheckpointError(`${source}: unexpected storage reference in the legacy header`);
  };
  const magic = unpickle(bytes, source, none);
  if (magic.value !== LEGACY_MAGIC)
    throw new CheckpointError(
      `${source}: not a PyTorch file (a pickle without torch's magic number)`,
    );
  const version = unpickle(bytes, source, none, magic.end);
  if (version.value !== 1001)
    throw new CheckpointError(
      `${source}: legacy protocol version ${String(version.value)}, expected 1001`,
    );
  const info = unpickle(bytes, source, none, version.end);
  const refs = new Map<string, StorageRef>();
  const main = unpickle(
    bytes,
    source,
    (pid) => {
      const ref = storageRef(pid, source, true);
      const known = refs.get(ref.key);
      if (known && (known.format !== ref.format || known.numel !== ref.numel))
        throw new CheckpointError(`${source}: storage '${ref.key}' is declared twice differently`);
      refs.set(ref.key, ref);
      return ref;
    },
    info.end,
  );
  const keys = unpickle(bytes, source, none, main.end);
  if (!Array.isArray(keys.value) || keys.value.some((k) => typeof k !== 'string'))
    throw new CheckpointError(`${source}: legacy storage key list is malformed`);
  // Each storage follows as an int64 element count and its raw little-endian elements.
  const data = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const ref = refs.get(key);
    if (!ref) throw new CheckpointError(`${source}: legacy storage '${key}' is never used`);
    if (pos + 8 > bytes.length)
      throw new CheckpointError(`${source}: truncated before storage '${key}'`);
    const numel = view.getBigInt64(pos, true);
    const length = Number(numel) * dtypeInfo(ref.format).itemSize;
    if (numel !== BigInt(ref.numel) || pos + 8 + length > bytes.length)
      throw new CheckpointError(
        `${source}: storage '${key}' has ${numel} elements where ${ref.numel} were declared, or is truncated`,
      );
    data.set(key, bytes.subarray(pos + 8, pos + 8 + length));
    pos += 8 + length;
  }
  const resolver = new Resolver(source, (ref) => {
    const d = data.get(ref.key);
    if (!d) throw new CheckpointError(`${source}: storage '${ref.key}' is missing`);
    return d;
  });
  return resolver.resolve(main.value);
}

function decodeZip(bytes: Uint8Array, source: string): TorchValue {
  const entries = readZipDirectory(bytes, source);
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl') || e.name === 'data.pkl');
  if (!pkl)
    throw new CheckpointError(`${source}: no data.pkl in the archive (not a torch.save file?)`);
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const order = byName.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(readZipEntry(bytes, order, source)).trim();
    if (text !== 'little')
      throw new CheckpointError(
        `${source}: byteorder '${text}' is not supported (only little-endian files are read)`,
      );
  }
  const pickled = readZipEntry(bytes, pkl, source);
  const { value } = unpickle(pickled, source, (pid) => storageRef(pid, source, false));
  const resolver = new Resolver(source, (ref) => {
    const entry = byName.get(`${prefix}data/${ref.key}`);
    if (!entry)
      throw new CheckpointError(`${source}: storage '${ref.key}' is missing from the archive`);
    return readZipEntry(bytes, entry, source);
  });
  return resolver.resolve(value);
}

/**
 * Decodes the bytes of a `torch.save` file (see `loadTorch`).
 *
 * @example
 * ```ts
 * const sd = k.io.decodeTorch(bytes, 'model.pt');
 * ```
 */
export function decodeTorch(bytes: Uint8Array, source = 'torch file'): TorchValue {
  if (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    bytes[2] === 0x03 &&
    bytes[3] === 0x04
  )
    return decodeZip(bytes, source);
  if (bytes.length >= 2 && bytes[0] === 0x80) return decodeLegacy(bytes, source);
  throw new CheckpointError(
    `${source}: not a PyTorch file (neither a zip archive nor a legacy pickle)`,
  );
}

/**
 * Reads a `.pt`/`.pth` file written by `torch.save`, as `torch.load(path, weights_only=True)`:
 * the zip format (and the legacy pre-1.6 format), unpickling only containers, tensors and plain
 * values; a pickle naming any other global (`os.system`...) is refused with a `CheckpointError`
 * and nothing is ever executed. Tensors share storage as in the file (views keep their offsets
 * and strides); float16/bfloat16 widen to float32, int64/int16/int8/uint8 become int32 (int64
 * range-checked). Dicts become plain records, lists and tuples arrays.
 *
 * @example
 * ```ts
 * const sd = await k.io.loadTorch('resnet.pth');
 * model.loadStateDict((sd.model ?? sd.state_dict ?? sd) as Record<string, k.Tensor>);
 * ```
 */
export async function loadTorch(path: string): Promise<TorchValue> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw ioError(`loadTorch: cannot read ${path}`, e);
  }
  return decodeTorch(bytes, path);
}
