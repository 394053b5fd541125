import { buildLoss, buildModel, buildOptimizer, buildScheduler } from '../../cli/build.js';
import { buildMetrics } from '../../cli/metrics.js';
import { FailOnNaN } from '../../cli/run-end.js';
import { DataLoader } from '../../data/dataloader.js';
import { TensorDataset } from '../../data/dataset.js';
import { Standardize } from '../../data/scalers.js';
import { classWeights } from '../../data/splits.js';
import { tensor } from '../../ops/creation.js';
import { manualSeed } from '../../tensor/random.js';
import type { Callback, TrainContext } from '../../train/callback.js';
import { EarlyStopping } from '../../train/callbacks/early-stopping.js';
import { Trainer } from '../../train/trainer.js';
import { TrialPruned } from '../trial.js';
import { candidateSchedule } from './config.js';
import type { FoldData } from './folds.js';
import type { Candidate } from './space.js';

/**
 * What one fold of one candidate scored.
 *
 * @example
 * ```ts
 * const { scores, bestEpochs } = await fitFold(c, data, options);
 * ```
 */
export interface FoldResult {
  /** The validation part's loss and metrics, with the weights of the best epoch. */
  scores: Record<string, number>;
  /** Epochs up to and including the best one (by val_loss). */
  bestEpochs: number;
  /**
   * Predictions on the validation part with the best epoch's weights, row-major: class
   * probabilities `[rows, classes]`, or values `[rows]` in the target's own units.
   */
  pred: Float32Array;
  /** Wall-clock seconds of one epoch over one training row (to estimate a refit's time). */
  secondsPerRowEpoch: number;
}

/**
 * Ends a trial (as pruned) that is still training when the search's time is up, and hands each
 * epoch's logs to the search (which may prune the trial there).
 */
class TrialWatch implements Callback {
  constructor(
    private readonly at: number,
    private readonly onEpoch: ((epoch: number, logs: Record<string, number>) => void) | undefined,
    private readonly why: string,
  ) {}

  onBatchEnd(_ctx: TrainContext): void {
    if (Date.now() > this.at) throw new TrialPruned(this.why);
  }

  /** Epochs finished. */
  epochs = 0;

  onEpochEnd(ctx: TrainContext): void {
    this.epochs++;
    this.onEpoch?.(ctx.epoch, ctx.logs);
  }
}

const BUDGET_RAN_OUT = 'the time budget ran out during this trial';

/**
 * When one fold's training is abandoned and why: at the search's end, or earlier at the end of
 * the trial's own share of the search (`share`, a fraction), whichever comes first (epoch
 * milliseconds).
 *
 * @example
 * ```ts
 * trialDeadline(Date.now() + 60_000, Date.now() + 30_000, 0.12);
 * // { deadline: <30 s from now>, deadlineReason: 'stopped at the most one trial may take (12% of the search)' }
 * ```
 */
export function trialDeadline(
  searchEnd: number,
  trialEnd: number,
  share: number,
): { deadline: number; deadlineReason: string } {
  return trialEnd < searchEnd
    ? {
        deadline: trialEnd,
        deadlineReason: `stopped at the most one trial may take (${Math.round(share * 100)}% of the search)`,
      }
    : { deadline: searchEnd, deadlineReason: BUDGET_RAN_OUT };
}

/**
 * Trains a candidate on one fold's training part with early stopping on the validation part
 * (patience from the candidate, best weights restored) and scores the validation part with the
 * task's metrics. The same builders as `kiln train` make the model, optimizer, loss and
 * schedule, so a refit from the written config trains the same kind of model.
 *
 * @example
 * ```ts
 * const r = await fitFold(c, cache.get(options, false, 0), { metrics: ['accuracy'], batchSize: 32, seed: 0, deadline: Date.now() + 60_000 });
 * ```
 */
export async function fitFold(
  c: Candidate,
  data: FoldData,
  options: {
    metrics: readonly string[];
    batchSize: number;
    seed: number;
    /** Epoch milliseconds after which the trial is abandoned. */
    deadline: number;
    /** Why, when it is (default: the time budget ran out during this trial). */
    deadlineReason?: string;
    /** Called after each epoch with its logs (val_ values included); may throw TrialPruned. */
    onEpoch?: (epoch: number, logs: Record<string, number>) => void;
  },
): Promise<FoldResult> {
  manualSeed(options.seed);
  const model = buildModel(c.layers, [data.features]);
  const lossWeight =
    typeof c.loss !== 'string' && c.loss.classWeights === 'balanced'
      ? classWeights(data.train.y, { numClasses: c.layers.at(-1)!.outFeatures as number })
      : null;
  const { loss } = buildLoss(c.loss, lossWeight ? { weight: tensor(lossWeight.dataSync()) } : {});
  const optimizer = buildOptimizer(c.optimizer, model);
  const schedule = candidateSchedule(c);
  const scheduler = schedule ? buildScheduler(schedule, optimizer) : undefined;
  const early = new EarlyStopping({
    monitor: 'val_loss',
    patience: c.patience,
    restoreBestWeights: true,
  });
  const watch = new TrialWatch(
    options.deadline,
    options.onEpoch,
    options.deadlineReason ?? BUDGET_RAN_OUT,
  );
  const trainer = new Trainer({
    model,
    optimizer,
    loss,
    metrics: buildMetrics(options.metrics, data.preprocessing),
    callbacks: [new FailOnNaN(), early, watch],
    ...(scheduler ? { scheduler } : {}),
  });
  const train = new DataLoader(new TensorDataset(data.train.x, data.train.y), {
    batchSize: options.batchSize,
    shuffle: true,
    seed: options.seed,
  });
  const valid = new DataLoader(new TensorDataset(data.valid.x, data.valid.y), { batchSize: 1000 });
  const started = Date.now();
  await trainer.fit(train, { epochs: c.maxEpochs, validation: valid });
  const seconds = (Date.now() - started) / 1000;
  const scores = await trainer.evaluate(valid);
  const output = await trainer.predict(data.valid.x);
  const target = data.preprocessing.target ? Standardize.fromJSON(data.preprocessing.target) : null;
  const pred = target
    ? output.reshape([-1]).mul(target.std[0]!).add(target.mean[0]!)
    : output.ndim === 2 && output.shape[1]! > 1
      ? output.softmax(1)
      : output.reshape([-1]);
  return {
    scores,
    bestEpochs: early.bestEpoch + 1,
    pred: Float32Array.from(pred.dataSync()),
    secondsPerRowEpoch: seconds / Math.max(1, watch.epochs) / data.train.x.shape[0]!,
  };
}
