import { type LoadStateDictOptions, type LoadStateDictResult, Module } from '../nn/module.js';
import { bumpStorageVersion } from '../tensor/storage-version.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Callback } from '../train/callback.js';
import { DistributedError } from './errors.js';
import type { CommArray, RawProcessGroup } from './native.js';
import { rawGroup } from './process-group.js';
import { Reducer } from './reducer.js';

/** Options of `DistributedDataParallel`, PyTorch's keywords in camelCase. */
export interface DistributedDataParallelOptions {
  /** Bucket size in MiB after the first (default 25, as PyTorch). */
  bucketCapMb?: number;
  /** Size of the first bucket in MiB (default 1, as PyTorch), so communication starts early. */
  firstBucketCapMb?: number;
  /** Copy rank 0's buffers (BatchNorm running statistics) to every rank before each training forward (default true, as PyTorch). */
  broadcastBuffers?: boolean;
}

/**
 * Data-parallel training, as `torch.nn.parallel.DistributedDataParallel`: every rank holds a
 * replica of `module` and trains on its own shard of each batch; gradients are averaged
 * across ranks during `backward()`, so every replica takes the same optimizer step.
 *
 * The constructor copies rank 0's parameters and buffers to every rank. Gradients are grouped
 * into buckets in reverse parameter order (1 MiB first, then 25 MiB); each bucket's
 * all-reduce starts as soon as backward has produced its gradients, on the addon's
 * communication thread, and `syncGradients()` (run by the Trainer before each optimizer
 * step) waits for them and writes the averages back. Parameters unused on some ranks count
 * as zero there; unused on every rank, their `grad` stays null.
 *
 * @example
 * ```ts
 * await k.distributed.initProcessGroup();
 * const ddp = new k.nn.parallel.DistributedDataParallel(model);
 * const trainer = new k.train.Trainer({ model: ddp, optimizer, loss }); // syncs before each step
 * // or by hand:
 * ddp.forward(x).sum().backward();
 * await ddp.syncGradients();
 * optimizer.step();
 * ```
 */
export class DistributedDataParallel<I extends unknown[] = unknown[], O = unknown> extends Module<
  I,
  O
> {
  readonly module: Module<I, O>;
  private readonly reducer: Reducer;
  private readonly broadcastBuffers: boolean;
  /** Runs `syncGradients` before every optimizer step of a Trainer given this model. */
  readonly trainerCallback: Callback;

  constructor(module: Module<I, O>, options: DistributedDataParallelOptions = {}) {
    super();
    this.module = module;
    const g = rawGroup('DistributedDataParallel');
    const mib = 1024 * 1024;
    const firstBytes = (options.firstBucketCapMb ?? 1) * mib;
    const bytes = (options.bucketCapMb ?? 25) * mib;
    if (!(firstBytes > 0) || !(bytes > 0)) {
      throw new DistributedError(
        `DistributedDataParallel: bucket caps must be positive MiB, got firstBucketCapMb ${options.firstBucketCapMb}, bucketCapMb ${options.bucketCapMb}`,
      );
    }
    this.broadcastBuffers = options.broadcastBuffers ?? true;
    broadcastFromRank0(g.pg, [...module.parameters(), ...module.buffers()]);
    const params = module.parameters().filter((p) => p.requiresGrad);
    this.reducer = new Reducer(params, { firstBytes, bytes }, () =>
      rawGroup('DistributedDataParallel'),
    );
    this.trainerCallback = {
      onBatchBegin: (ctx) => {
        // Within an accumulation window only the last backward needs communication.
        this.requireBackwardGradSync = !ctx.accumulating;
      },
      onBeforeOptimizerStep: () => this.syncGradients(),
    };
  }

  /** Whether backward starts gradient all-reduces (false inside `noSync`). */
  get requireBackwardGradSync(): boolean {
    return this.reducer.requireSync;
  }

  set requireBackwardGradSync(value: boolean) {
    this.reducer.requireSync = value;
  }

  /** Runs the wrapped module's forward (after copying rank 0's buffers, when training). */
  forward(...inputs: I): O {
    if (this.broadcastBuffers && this.training) {
      const buffers = this.module.buffers();
      if (buffers.length > 0)
        broadcastFromRank0(rawGroup('DistributedDataParallel.forward').pg, buffers);
    }
    return this.module.forward(...inputs);
  }

  /**
   * Runs `fn` without gradient communication, as PyTorch's `no_sync()`: gradients of the
   * backward passes inside accumulate locally, and the next synced backward (or
   * `syncGradients()`) averages the sum. `fn` may be async.
   *
   * @example
   * ```ts
   * ddp.noSync(() => ddp.forward(x1).sum().backward());
   * ddp.forward(x2).sum().backward();
   * await ddp.syncGradients();
   * ```
   */
  noSync<T>(fn: () => T): T {
    const previous = this.reducer.requireSync;
    this.reducer.requireSync = false;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.reducer.requireSync = previous;
      throw e;
    }
    if (result instanceof Promise) {
      return result.finally(() => {
        this.reducer.requireSync = previous;
      }) as T;
    }
    this.reducer.requireSync = previous;
    return result;
  }

  /** Waits for the gradient all-reduces (starting those backward did not) and averages `.grad` across ranks. */
  syncGradients(): Promise<void> {
    return this.reducer.finish();
  }

  /**
   * The wrapped module's state dict. Deliberately without PyTorch's `module.` key prefix, so a
   * checkpoint written during distributed training loads into the plain model.
   */
  override stateDict(): Record<string, Tensor> {
    return this.module.stateDict();
  }

  /** Loads into the wrapped module (keys without a `module.` prefix, as `stateDict`). */
  override loadStateDict(
    stateDict: Record<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    return this.module.loadStateDict(stateDict, options);
  }

  /** Number of gradient buckets and their parameter counts, in launch order (for tests and tuning). */
  bucketSizes(): number[] {
    return this.reducer.buckets.map((b) => b.params.length);
  }
}

/** Overwrites `tensors` with rank 0's values: one blocking broadcast per dtype, packed. */
function broadcastFromRank0(pg: RawProcessGroup, tensors: readonly Tensor[]): void {
  const byType = new Map<string, Tensor[]>();
  for (const t of tensors) byType.set(t.dtype, [...(byType.get(t.dtype) ?? []), t]);
  for (const [dtype, list] of byType) {
    if (dtype === 'bool')
      throw new DistributedError('DistributedDataParallel: bool buffers are not supported');
    const total = list.reduce((n, t) => n + t.numel(), 0);
    const Ctor = dtype === 'float64' ? Float64Array : dtype === 'int32' ? Int32Array : Float32Array;
    const flat: CommArray = new Ctor(total);
    let at = 0;
    for (const t of list) {
      const c = t.contiguous();
      flat.set(c.storage.subarray(c.offset, c.offset + t.numel()) as CommArray, at);
      at += t.numel();
    }
    try {
      pg.broadcastSync(flat, 0);
    } catch (e) {
      throw new DistributedError(
        `DistributedDataParallel: broadcast of rank 0's state failed: ${(e as Error).message}`,
      );
    }
    at = 0;
    for (const t of list) {
      const n = t.numel();
      if (t.isContiguous()) {
        t.storage.set(flat.subarray(at, at + n), t.offset);
        bumpStorageVersion(t.storage);
      } else
        throw new DistributedError(
          'DistributedDataParallel: parameters and buffers must be contiguous',
        );
      at += n;
    }
  }
}
