import { CheckpointError } from '../tensor/errors.js';

/** A global a pickle names (`collections.OrderedDict`, `torch.FloatStorage`). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A Python dict (or OrderedDict) as key/value pairs in insertion order. */
export class PyDict {
  readonly items: [unknown, unknown][] = [];
}

/** What `_rebuild_tensor_v2` was called with: resolved into a Tensor after unpickling. */
export class TensorSpec {
  constructor(
    readonly storage: unknown,
    readonly offset: unknown,
    readonly size: unknown,
    readonly stride: unknown,
  ) {}
}

/** Loaders receive persistent ids (`('storage', type, key, location, numel)`) through this. */
export type PersistentLoad = (pid: unknown) => unknown;

/**
 * The globals a weights file may name: containers, the tensor rebuild functions and storage
 * types, as `torch.load(weights_only=True)` allows. Anything else is refused by name.
 */
const STORAGE_TYPES = new Set([
  'FloatStorage',
  'DoubleStorage',
  'HalfStorage',
  'BFloat16Storage',
  'LongStorage',
  'IntStorage',
  'ShortStorage',
  'CharStorage',
  'ByteStorage',
  'BoolStorage',
]);
const CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

function allowed(module: string, name: string): boolean {
  return CALLABLES.has(`${module}.${name}`) || (module === 'torch' && STORAGE_TYPES.has(name));
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Memo entries beyond this are refused (a state dict uses a few per tensor). */
const MAX_MEMO = 1 << 22;

/**
 * A restricted pickle virtual machine (protocols 0-5 as `torch.save` writes them): it builds
 * values from the opcodes, calls only the allowlisted functions above (which only record their
 * arguments) and never imports or executes anything. Returns the value and the offset after STOP.
 */
export function unpickle(
  bytes: Uint8Array,
  source: string,
  persistentLoad: PersistentLoad,
  start = 0,
): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new CheckpointError(`${source}: ${what}`);
  };
  let pos = start;
  const need = (n: number) => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > bytes.length)
      fail(`pickle truncated at byte ${pos} (wanted ${n} more bytes)`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const i32 = () => {
    need(4);
    pos += 4;
    return view.getInt32(pos - 4, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const u64 = () => {
    need(8);
    pos += 8;
    const v = view.getBigUint64(pos - 8, true);
    if (v > BigInt(bytes.length)) fail(`length ${v} exceeds the file`);
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const text = (n: number) => {
    const b = take(n);
    try {
      return decoder.decode(b);
    } catch {
      return fail(`invalid UTF-8 string at byte ${pos}`);
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 1000) fail(`unterminated line at byte ${pos}`);
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  // Integers beyond 2^53 stay BigInt (the legacy format's magic number); they are refused if
  // they reach the result.
  const long = (n: number): number | bigint => {
    if (n > 64) fail(`integer of ${n} bytes at byte ${pos}`);
    const b = take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return v;
    return Number(v);
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const pop = () => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!))
      fail(`pickle stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail(`pickle stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const m = marks.pop();
    if (m === undefined) fail(`pickle MARK missing at byte ${pos}`);
    return stack.splice(m!);
  };
  const put = (key: number) => {
    if (memo.size >= MAX_MEMO && !memo.has(key)) fail('pickle memo too large');
    memo.set(key, top());
  };
  const get = (key: number) => {
    if (!memo.has(key)) fail(`pickle memo key ${key} is undefined`);
    stack.push(memo.get(key));
  };
  const global = (module: string, name: string) => {
    if (!allowed(module, name))
      fail(
        `refuses to load global '${module}.${name}': only tensors, containers and plain values are read (weights_only)`,
      );
    stack.push(new PyGlobal(module, name));
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof PyDict)) fail(`SETITEMS on a ${kind(target)} at byte ${pos}`);
    if (items.length % 2) fail(`odd number of dict items at byte ${pos}`);
    for (let i = 0; i < items.length; i += 2)
      (target as PyDict).items.push([items[i], items[i + 1]]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) fail(`APPENDS on a ${kind(target)} at byte ${pos}`);
    for (const it of items) (target as unknown[]).push(it);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PyGlobal) || !CALLABLES.has(fn.qualified))
      fail(`refuses to call ${kind(fn)}`);
    if (!Array.isArray(args))
      fail(`${(fn as PyGlobal).qualified} called without an argument tuple`);
    const a = args as unknown[];
    switch ((fn as PyGlobal).qualified) {
      case 'collections.OrderedDict': {
        if (a.length !== 0) fail('OrderedDict called with arguments');
        return new PyDict();
      }
      case 'torch._utils._rebuild_tensor_v2':
        if (a.length < 4) fail('_rebuild_tensor_v2 called with too few arguments');
        return new TensorSpec(a[0], a[1], a[2], a[3]);
      default:
        if (a.length < 1) fail(`${(fn as PyGlobal).qualified} called without data`);
        return a[0];
    }
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`unsupported pickle protocol at byte ${at}`);
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length)
          fail(`pickle ended with ${stack.length} values on the stack`);
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: // LONG4
        stack.push(long(u32()));
        break;
      case 0x47: {
        // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail(`STACK_GLOBAL without names at byte ${at}`);
        global(module as string, name as string);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const key = pop();
        setItems(top(), [key, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD: object state (an OrderedDict's _metadata) carries no weights; it is dropped.
        pop();
        const target = top();
        if (!(target instanceof PyDict) && !(target instanceof TensorSpec))
          fail(`BUILD on a ${kind(target)} at byte ${at}`);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop()));
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${at}`);
    }
  }
}

/** A short description of an unpickled value for messages. */
export function kind(v: unknown): string {
  if (v instanceof PyGlobal) return `global ${v.qualified}`;
  if (v instanceof PyDict) return 'dict';
  if (v instanceof TensorSpec) return 'tensor';
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'None';
  return typeof v;
}
