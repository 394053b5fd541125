import { ValueError } from '../../tensor/errors.js';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler, type SchedulerOptions, type SchedulerStateDict } from './scheduler.js';

function checkSameOptimizer(
  who: string,
  optimizer: Optimizer,
  schedulers: readonly LRScheduler[],
): void {
  if (schedulers.length === 0) throw new ValueError(`${who}: needs at least one scheduler`);
  schedulers.forEach((s, i) => {
    if (s.optimizer !== optimizer)
      throw new ValueError(`${who}: scheduler ${i} wraps a different optimizer than the others`);
  });
}

function loadChildren(who: string, children: readonly LRScheduler[], sd: SchedulerStateDict): void {
  const saved = sd.schedulers ?? [];
  if (saved.length !== children.length)
    throw new ValueError(
      `${who}.loadStateDict: the state has ${saved.length} schedulers, this one ${children.length}`,
    );
  children.forEach((c, i) => {
    c.loadStateDict(saved[i]!);
  });
}

/** Options of {@link SequentialLR}. */
export interface SequentialLROptions extends SchedulerOptions {
  /** The schedulers, in the order they run (all on the same optimizer). */
  schedulers: readonly LRScheduler[];
  /** Epochs at which the next scheduler takes over (one fewer than schedulers). */
  milestones: readonly number[];
}

/**
 * Runs schedulers one after another, as `torch.optim.lr_scheduler.SequentialLR`: from milestone
 * `m` on, scheduler `i` sees epoch `epoch - m`, so each starts from its own epoch 0.
 *
 * @example
 * ```ts
 * const { LinearLR, CosineAnnealingLR, SequentialLR } = k.optim.lrScheduler;
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const cosine = new CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
 * ```
 */
export class SequentialLR extends LRScheduler<{ milestones: number[] }> {
  private readonly schedulers: readonly LRScheduler[];

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    checkSameOptimizer('SequentialLR', optimizer, options.schedulers);
    if (options.milestones.length !== options.schedulers.length - 1)
      throw new ValueError(
        `SequentialLR: expected ${options.schedulers.length - 1} milestones for ${options.schedulers.length} schedulers, got ${options.milestones.length}`,
      );
    super(optimizer, { milestones: [...options.milestones] }, options.lastEpoch, false);
    this.schedulers = [...options.schedulers];
    this.step();
  }

  /** The active scheduler at `epoch` and the epoch it sees. */
  private locate(epoch: number): { scheduler: LRScheduler; local: number } {
    const { milestones } = this.opts;
    // PyTorch's bisect_right over the (ascending) milestones.
    const idx = milestones.filter((m) => m <= epoch).length;
    return {
      scheduler: this.schedulers[idx]!,
      local: idx === 0 ? epoch : epoch - milestones[idx - 1]!,
    };
  }

  lrAt(epoch: number, _baseLr: number, group: number): number {
    const { scheduler, local } = this.locate(epoch);
    return scheduler.lrAt(local, scheduler.baseLrs[group]!, group);
  }

  override momentumAt(epoch: number, group: number): number | undefined {
    const { scheduler, local } = this.locate(epoch);
    return scheduler.momentumAt(local, group);
  }

  protected override apply(): void {
    super.apply();
    this.locate(this.lastEpoch).scheduler.lastEpoch = this.locate(this.lastEpoch).local;
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    loadChildren('SequentialLR', this.schedulers, sd);
    super.loadStateDict(sd);
  }
}

/**
 * Applies several schedulers at once, as `torch.optim.lr_scheduler.ChainedScheduler`: the
 * learning rate is the base rate times the product of each scheduler's factor
 * `lrAt(epoch) / baseLr`. That equals PyTorch's chained (recursive) result for the multiplicative
 * schedulers (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
 * MultiplicativeLR, LambdaLR first in the chain); for additive ones (CosineAnnealingLR with
 * etaMin, CyclicLR, OneCycleLR) PyTorch's chain depends on the call order and kiln's does not.
 *
 * @example
 * ```ts
 * const { ConstantLR, ExponentialLR, ChainedScheduler } = k.optim.lrScheduler;
 * const sched = new ChainedScheduler([
 *   new ConstantLR(opt, { factor: 0.1, totalIters: 2 }),
 *   new ExponentialLR(opt, { gamma: 0.9 }),
 * ]);
 * ```
 */
export class ChainedScheduler extends LRScheduler<{ offsets: number[] }> {
  private readonly schedulers: readonly LRScheduler[];

  constructor(schedulers: readonly LRScheduler[]) {
    const first = schedulers[0];
    if (!first) throw new ValueError('ChainedScheduler: needs at least one scheduler');
    checkSameOptimizer('ChainedScheduler', first.optimizer, schedulers);
    // Stryker disable next-line UnaryOperator: the children have set every initialLr, and lastEpoch is reset below
    super(first.optimizer, { offsets: schedulers.map((s) => s.lastEpoch) }, -1, false);
    this.schedulers = [...schedulers];
    this.baseLrs = [...first.baseLrs];
    // The children have taken their initial steps already; this only writes their product.
    this.lastEpoch = 0;
    this.apply();
  }

  lrAt(epoch: number, baseLr: number, group: number): number {
    let lr = baseLr;
    this.schedulers.forEach((s, k) => {
      const base = s.baseLrs[group]!;
      const value = s.lrAt(this.opts.offsets[k]! + epoch, base, group);
      lr = base === 0 ? value : (lr * value) / base;
    });
    return lr;
  }

  override momentumAt(epoch: number, group: number): number | undefined {
    let m: number | undefined;
    this.schedulers.forEach((s, k) => {
      m = s.momentumAt(this.opts.offsets[k]! + epoch, group) ?? m;
    });
    return m;
  }

  protected override apply(): void {
    super.apply();
    this.schedulers.forEach((s, k) => {
      s.lastEpoch = this.opts.offsets[k]! + this.lastEpoch;
    });
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    loadChildren('ChainedScheduler', this.schedulers, sd);
    super.loadStateDict(sd);
  }
}
