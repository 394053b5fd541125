import type { Parameter } from '../nn/parameter.js';
import { zeros } from '../ops/creation.js';
import { DistributedError } from './errors.js';
import type { CommArray, RawProcessGroup } from './native.js';
import { collective } from './process-group.js';

/** Bucket size limits, as PyTorch DDP: a small first bucket so communication starts early. */
export interface BucketCaps {
  firstBytes: number;
  bytes: number;
}

interface Bucket {
  readonly params: Parameter[];
  readonly offsets: number[];
  /** Gradients, then one used-flag per parameter (summed: how many ranks had a gradient). */
  readonly flat: CommArray;
  ready: number;
  pending: Promise<void> | null;
}

/**
 * Averages gradients across ranks in buckets, as PyTorch DDP's Reducer. Parameters go into
 * buckets in reverse order (the order backward produces their gradients), one dtype per
 * bucket. A post-accumulate-grad hook counts a bucket's parameters as they become ready; a
 * full bucket's all-reduce starts at once on the addon's communication thread, while backward
 * goes on. Buckets always start in index order, so every rank issues the same collectives in
 * the same order even when some parameters are unused on some ranks.
 */
export class Reducer {
  readonly buckets: Bucket[] = [];
  private nextLaunch = 0;
  private readonly marked = new Set<Parameter>();
  private misuse: string | null = null;
  /** False inside `noSync`: hooks then leave gradients to accumulate locally. */
  requireSync = true;

  constructor(
    params: readonly Parameter[],
    caps: BucketCaps,
    private readonly group: () => { pg: RawProcessGroup; worldSize: number },
  ) {
    const open = new Map<string, Parameter[]>();
    const openBytes = new Map<string, number>();
    let closedCount = 0;
    const close = (dtype: string) => {
      const ps = open.get(dtype);
      if (ps && ps.length > 0) this.buckets.push(makeBucket(ps));
      open.delete(dtype);
      openBytes.delete(dtype);
      closedCount++;
    };
    for (const p of [...params].reverse()) {
      const list = open.get(p.dtype) ?? [];
      list.push(p);
      open.set(p.dtype, list);
      const bytes = (openBytes.get(p.dtype) ?? 0) + p.numel() * p.storage.BYTES_PER_ELEMENT;
      openBytes.set(p.dtype, bytes);
      if (bytes >= (closedCount === 0 ? caps.firstBytes : caps.bytes)) close(p.dtype);
    }
    for (const dtype of [...open.keys()]) close(dtype);
    this.buckets.forEach((bucket, index) => {
      for (const p of bucket.params)
        p.registerPostAccumulateGradHook(() => this.markReady(p, index));
    });
  }

  private markReady(p: Parameter, index: number): void {
    if (!this.requireSync) return;
    if (this.marked.has(p)) {
      this.misuse ??=
        'a parameter received gradients from two backward passes before the optimizer step; wrap all but the last backward in ddp.noSync()';
      return;
    }
    this.marked.add(p);
    this.buckets[index]!.ready++;
    this.launchReady();
  }

  private launchReady(): void {
    while (this.nextLaunch < this.buckets.length) {
      const b = this.buckets[this.nextLaunch]!;
      if (b.ready < b.params.length) return;
      this.launch(b);
    }
  }

  private launch(b: Bucket): void {
    const n = b.params.length;
    const gradsEnd = b.flat.length - n;
    b.params.forEach((p, i) => {
      const g = p.grad;
      const at = b.offsets[i]!;
      const size = p.numel();
      if (g === null) {
        b.flat.fill(0, at, at + size);
        b.flat[gradsEnd + i] = 0;
        return;
      }
      const c = g.contiguous();
      b.flat.set(c.storage.subarray(c.offset, c.offset + size), at);
      b.flat[gradsEnd + i] = 1;
    });
    const { pg } = this.group();
    b.pending = collective('DistributedDataParallel gradient all-reduce', () =>
      pg.allReduce(b.flat, 0),
    );
    this.nextLaunch++;
  }

  /**
   * Starts the buckets backward did not complete (unused parameters, or a backward under
   * noSync), waits for every bucket, and writes the averaged gradients back. A parameter no
   * rank had a gradient for keeps `grad === null`, as in PyTorch.
   */
  async finish(): Promise<void> {
    if (this.misuse) {
      const msg = this.misuse;
      this.reset();
      throw new DistributedError(`DistributedDataParallel: ${msg}`);
    }
    while (this.nextLaunch < this.buckets.length) this.launch(this.buckets[this.nextLaunch]!);
    try {
      await Promise.all(this.buckets.map((b) => b.pending));
    } finally {
      this.reset();
    }
    const { worldSize } = this.group();
    for (const b of this.buckets) {
      const gradsEnd = b.flat.length - b.params.length;
      b.params.forEach((p, i) => {
        if (b.flat[gradsEnd + i] === 0) return;
        const at = b.offsets[i]!;
        const size = p.numel();
        let g = p.grad;
        if (g === null || !g.isContiguous() || g.dtype !== p.dtype) {
          g = zeros(p.shape, { dtype: p.dtype });
          p.grad = g;
        }
        const dst = g.storage;
        for (let j = 0; j < size; j++) dst[g.offset + j] = b.flat[at + j]! / worldSize;
      });
    }
  }

  private reset(): void {
    for (const b of this.buckets) {
      b.ready = 0;
      b.pending = null;
    }
    this.marked.clear();
    this.nextLaunch = 0;
    this.misuse = null;
  }
}

function makeBucket(params: Parameter[]): Bucket {
  const offsets: number[] = [];
  let total = 0;
  for (const p of params) {
    offsets.push(total);
    total += p.numel();
  }
  const Ctor = params[0]!.dtype === 'float64' ? Float64Array : Float32Array;
  return { params, offsets, flat: new Ctor(total + params.length), ready: 0, pending: null };
}
