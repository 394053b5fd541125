import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { DistributedError, INSTALL_HINT } from './errors.js';
import { type CommArray, loadDistAddon, type RawProcessGroup } from './native.js';
import { StoreServer } from './store-server.js';

/** Reductions of `allReduce`, as `torch.distributed.ReduceOp` ('avg' divides the sum by the world size). */
export type ReduceOpName = 'sum' | 'product' | 'min' | 'max' | 'avg';

/** `torch.distributed.ReduceOp`'s names. @example `await k.distributed.allReduce(t, k.distributed.ReduceOp.MAX)` */
export const ReduceOp = {
  SUM: 'sum',
  PRODUCT: 'product',
  MIN: 'min',
  MAX: 'max',
  AVG: 'avg',
} as const satisfies Record<string, ReduceOpName>;

const OP_CODE: Record<Exclude<ReduceOpName, 'avg'>, number> = {
  sum: 0,
  product: 1,
  min: 2,
  max: 3,
};

/** Options of `initProcessGroup`; unset fields come from torchrun's environment variables. */
export interface InitProcessGroupOptions {
  /** Only 'gloo' (Gloo's TCP transport, as PyTorch on CPU). */
  backend?: 'gloo';
  /** This process's rank, 0..worldSize-1 (default: env RANK). */
  rank?: number;
  /** Number of processes (default: env WORLD_SIZE). */
  worldSize?: number;
  /**
   * 'env://' (default: MASTER_ADDR, MASTER_PORT), 'tcp://host:port' (rank 0 listens there), or
   * 'file:///shared/dir' (a directory every rank can write, on one machine or a shared disk).
   */
  initMethod?: string;
  /** Milliseconds any rendezvous or collective may take (default 30 min, or env KILN_DIST_TIMEOUT in seconds). */
  timeout?: number;
}

interface GroupState {
  readonly pg: RawProcessGroup;
  readonly rank: number;
  readonly worldSize: number;
  readonly timeoutMs: number;
  readonly server: StoreServer | null;
}

let state: GroupState | null = null;
let generation = 0;

/** Whether the distributed addon (Gloo) is built and loads. @example `k.distributed.isAvailable()` */
export function isAvailable(): boolean {
  return loadDistAddon().addon !== null;
}

/** Whether `initProcessGroup` has run (and `destroyProcessGroup` has not). @example `k.distributed.isInitialized()` */
export function isInitialized(): boolean {
  return state !== null;
}

function envInt(name: string, given: number | undefined): number {
  if (given !== undefined) return given;
  const raw = process.env[name];
  if (raw === undefined || !/^\d+$/.test(raw.trim())) {
    throw new DistributedError(
      `initProcessGroup: ${name} is ${raw === undefined ? 'not set' : `'${raw}'`}; pass the option or set the env variable (as torchrun or kiln train --nproc-per-node do)`,
    );
  }
  return Number(raw);
}

function defaultTimeout(): number {
  const raw = process.env.KILN_DIST_TIMEOUT;
  if (raw === undefined) return 30 * 60 * 1000;
  const seconds = Number(raw);
  if (!(seconds > 0))
    throw new DistributedError(`KILN_DIST_TIMEOUT must be positive seconds, got '${raw}'`);
  return seconds * 1000;
}

interface Rendezvous {
  host?: string;
  port?: number;
  filePath?: string;
}

function parseInitMethod(method: string): Rendezvous {
  if (method === 'env://') {
    const host = process.env.MASTER_ADDR ?? '127.0.0.1';
    const port = envInt('MASTER_PORT', undefined);
    return { host, port };
  }
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(method);
  if (tcp) return { host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
  if (method.startsWith('file://') && method.length > 'file://'.length) {
    return { filePath: method.slice('file://'.length) };
  }
  throw new DistributedError(
    `initProcessGroup: initMethod '${method}' is not one of 'env://', 'tcp://host:port', 'file:///path'`,
  );
}

function listenError(host: string, port: number, e: NodeJS.ErrnoException): DistributedError {
  const why =
    e.code === 'EADDRINUSE'
      ? 'the port is in use; pick another MASTER_PORT'
      : e.code === 'EADDRNOTAVAIL'
        ? 'that is not an address of this machine; MASTER_ADDR must name rank 0'
        : e.message;
  return new DistributedError(`initProcessGroup: rank 0 cannot listen on ${host}:${port}: ${why}`);
}

/**
 * Joins this process to the group, as `torch.distributed.init_process_group`: rank 0 serves the
 * rendezvous at MASTER_ADDR:MASTER_PORT, every rank publishes its Gloo address there, and Gloo
 * connects every pair of ranks over TCP. Resolves when all `worldSize` ranks are connected;
 * rejects with a `DistributedError` on a timeout or an unreachable master.
 *
 * @example
 * ```ts
 * // RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 node train.js (and RANK=1)
 * await k.distributed.initProcessGroup({ backend: 'gloo' });
 * ```
 */
export async function initProcessGroup(options: InitProcessGroupOptions = {}): Promise<void> {
  if (state)
    throw new DistributedError(
      'initProcessGroup: already initialized (call destroyProcessGroup first)',
    );
  const backend = options.backend ?? 'gloo';
  if (backend !== 'gloo') {
    throw new DistributedError(
      `initProcessGroup: backend '${String(backend)}' is not available; use 'gloo'`,
    );
  }
  const { addon, error } = loadDistAddon();
  if (addon === null) throw new DistributedError(`${INSTALL_HINT} (${error})`);
  const rank = envInt('RANK', options.rank);
  const worldSize = envInt('WORLD_SIZE', options.worldSize);
  if (!(worldSize >= 1) || !(rank >= 0 && rank < worldSize)) {
    throw new DistributedError(
      `initProcessGroup: rank ${rank} is outside 0..${worldSize - 1} (worldSize ${worldSize})`,
    );
  }
  const timeoutMs = options.timeout ?? defaultTimeout();
  const rdv = parseInitMethod(options.initMethod ?? 'env://');
  let server: StoreServer | null = null;
  if (rdv.port !== undefined && rank === 0) {
    try {
      server = await StoreServer.listen(rdv.host!, rdv.port);
    } catch (e) {
      throw listenError(rdv.host!, rdv.port, e as NodeJS.ErrnoException);
    }
  }
  const pg = new addon.ProcessGroup();
  try {
    await pg.init({
      storeHost: rdv.host,
      storePort: rdv.port,
      filePath: rdv.filePath,
      prefix: `kiln/${generation++}/`,
      bindHost: process.env.KILN_DIST_BIND_ADDR,
      iface: process.env.GLOO_SOCKET_IFNAME,
      rank,
      size: worldSize,
      timeoutMs,
    });
    // Rank 0 serves the rendezvous from this thread's event loop: wait until every rank is
    // through it before any rank may block that loop (DDP's start-up broadcast does).
    await pg.barrier();
  } catch (e) {
    pg.close();
    server?.close();
    throw new DistributedError(
      `initProcessGroup (rank ${rank} of ${worldSize}): ${(e as Error).message}`,
    );
  }
  state = { pg, rank, worldSize, timeoutMs, server };
}

function current(op: string): GroupState {
  if (!state)
    throw new DistributedError(
      `${op}: the process group is not initialized (call initProcessGroup first)`,
    );
  return state;
}

/** Runs one collective and turns Gloo's failure into a message naming the op, rank and cause. */
export async function collective(op: string, run: (g: GroupState) => Promise<void>): Promise<void> {
  const g = current(op);
  try {
    await run(g);
  } catch (e) {
    const msg = (e as Error).message;
    const peer = /closed|reset|broken pipe|timed out|timeout|connect/i.test(msg)
      ? `; another rank has exited or stopped responding (timeout ${g.timeoutMs / 1000}s)`
      : '';
    throw new DistributedError(`${op} failed on rank ${g.rank} of ${g.worldSize}: ${msg}${peer}`);
  }
}

/** The rank of this process (0 without a process group, as a single process). @example `k.distributed.getRank()` */
export function getRank(): number {
  return state?.rank ?? 0;
}

/** The number of processes (1 without a process group). @example `k.distributed.getWorldSize()` */
export function getWorldSize(): number {
  return state?.worldSize ?? 1;
}

function commArray(t: Tensor, op: string): CommArray {
  const s = t.storage;
  if (!(s instanceof Float32Array || s instanceof Float64Array || s instanceof Int32Array)) {
    throw new DistributedError(
      `${op}: dtype ${t.dtype} is not supported (float32, float64, int32)`,
    );
  }
  return s;
}

/** Runs `fn` on a contiguous array of `t`'s elements, copying in and out when `t` is a strided view. */
async function onContiguous(
  t: Tensor,
  op: string,
  fn: (a: CommArray) => Promise<void>,
): Promise<void> {
  const storage = commArray(t, op);
  if (t.isContiguous()) {
    await fn(storage.subarray(t.offset, t.offset + t.numel()));
    return;
  }
  const tmp = t.contiguous();
  await fn(commArray(tmp, op).subarray(tmp.offset, tmp.offset + tmp.numel()));
  noGrad(() => t.copy_(tmp));
}

/**
 * Reduces `tensor` across all ranks in place, as `torch.distributed.all_reduce`; every rank
 * ends with the same result. Resolves when done (the reduction runs on the addon's
 * communication thread meanwhile).
 *
 * @example
 * ```ts
 * const t = k.tensor([k.distributed.getRank() + 1]);
 * await k.distributed.allReduce(t); // [1 + 2 + ... + worldSize] on every rank
 * ```
 */
export function allReduce(tensor: Tensor, op: ReduceOpName = 'sum'): Promise<void> {
  const code = op === 'avg' ? 0 : OP_CODE[op];
  if (code === undefined) {
    return Promise.reject(
      new DistributedError(`allReduce: unknown op '${String(op)}' (sum, product, min, max, avg)`),
    );
  }
  if (op === 'avg' && tensor.dtype === 'int32') {
    return Promise.reject(
      new DistributedError("allReduce: op 'avg' needs a float tensor, this is int32"),
    );
  }
  return collective('allReduce', (g) =>
    onContiguous(tensor, 'allReduce', async (a) => {
      await g.pg.allReduce(a, code);
      if (op === 'avg') for (let i = 0; i < a.length; i++) a[i]! /= g.worldSize;
    }),
  );
}

/**
 * Copies rank `src`'s `tensor` into `tensor` on every rank, as `torch.distributed.broadcast`.
 *
 * @example
 * ```ts
 * await k.distributed.broadcast(weights, 0);
 * ```
 */
export function broadcast(tensor: Tensor, src: number): Promise<void> {
  return collective('broadcast', (g) => {
    if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) {
      throw new Error(`src ${src} is outside 0..${g.worldSize - 1}`);
    }
    return onContiguous(tensor, 'broadcast', (a) => g.pg.broadcast(a, src));
  });
}

/**
 * Fills `tensorList[r]` with rank r's `tensor`, as `torch.distributed.all_gather`. The list
 * holds worldSize tensors of `tensor`'s shape and dtype.
 *
 * @example
 * ```ts
 * const parts = Array.from({ length: k.distributed.getWorldSize() }, () => k.zeros([2]));
 * await k.distributed.allGather(parts, k.tensor([1, 2]));
 * ```
 */
export function allGather(tensorList: Tensor[], input: Tensor): Promise<void> {
  return collective('allGather', async (g) => {
    if (tensorList.length !== g.worldSize) {
      throw new Error(`tensorList has ${tensorList.length} tensors, worldSize is ${g.worldSize}`);
    }
    const n = input.numel();
    for (const [i, t] of tensorList.entries()) {
      if (t.numel() !== n || t.dtype !== input.dtype) {
        throw new Error(
          `tensorList[${i}] is ${t.dtype}[${t.shape}], the input is ${input.dtype}[${input.shape}]`,
        );
      }
    }
    const c = input.contiguous();
    const src = commArray(c, 'allGather').subarray(c.offset, c.offset + n);
    const out = new (src.constructor as new (n: number) => CommArray)(n * g.worldSize);
    await g.pg.allGather(src, out);
    noGrad(() => {
      for (const [i, t] of tensorList.entries()) {
        const dst = commArray(t, 'allGather');
        if (t.isContiguous()) dst.set(out.subarray(i * n, (i + 1) * n), t.offset);
        else t.copy_(tensor(out.slice(i * n, (i + 1) * n), { shape: t.shape, dtype: t.dtype }));
      }
    });
  });
}

/** Waits until every rank reached this call, as `torch.distributed.barrier`. @example `await k.distributed.barrier()` */
export function barrier(): Promise<void> {
  return collective('barrier', (g) => g.pg.barrier());
}

/**
 * Leaves the group: waits for queued collectives, closes the connections (and rank 0's
 * rendezvous server). A new `initProcessGroup` may follow.
 *
 * @example
 * ```ts
 * await k.distributed.destroyProcessGroup();
 * ```
 */
export async function destroyProcessGroup(): Promise<void> {
  const g = state;
  if (!g) return;
  state = null;
  g.pg.close();
  g.server?.close();
}

/** The raw group, for DistributedDataParallel's bucketed all-reduce (internal). */
export function rawGroup(op: string): { pg: RawProcessGroup; rank: number; worldSize: number } {
  return current(op);
}
