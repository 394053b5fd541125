import { ReduceLROnPlateau } from '../optim/lr-scheduler/plateau.js';
import type { Logs } from './callback.js';

/** The parts of an LR scheduler the Trainer drives; ReduceLROnPlateau takes a metric. */
export interface SchedulerLike {
  step(metric?: number): void;
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(state: Record<string, unknown>): void;
}

/** Whether a scheduler reacts to a metric (ReduceLROnPlateau) rather than to the step count. */
export function wantsMetric(scheduler: SchedulerLike): boolean {
  return scheduler instanceof ReduceLROnPlateau;
}

/** Steps a scheduler, passing the monitored value to plateau schedulers. */
export function stepScheduler(scheduler: SchedulerLike, logs: Logs, monitor?: string): void {
  if (!wantsMetric(scheduler)) {
    scheduler.step();
    return;
  }
  const key = monitor ?? ('val_loss' in logs ? 'val_loss' : 'loss');
  const value = logs[key];
  if (value === undefined) return;
  scheduler.step(value);
}
