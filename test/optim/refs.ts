// Loads the PyTorch references of test/fixtures/torch-optim.json (made by make_optim_refs.py) and
// runs kiln's optimizers and schedulers the same way the script ran PyTorch's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as k from '../../src/index.js';
import type { Optimizer, ParamGroupSpec } from '../../src/optim/index.js';
import type { LRScheduler } from '../../src/optim/lr-scheduler/index.js';

export interface OptimizerCase {
  name: string;
  options: Record<string, unknown>;
  traj: number[][];
  final32?: number[];
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  lrChanges?: Record<string, number>;
}

export interface LambdaSpec {
  kind: 'pow' | 'inv' | 'const';
  c: number;
}

export interface SchedulerSpec {
  name: string;
  options?: Record<string, unknown>;
  groupLrs?: number[];
  optimizer?: 'SGD' | 'Adam';
  children?: SchedulerSpec[];
  metrics?: number[];
  recordMomentum?: boolean;
  lrs: number[][];
  momentum?: number[][];
}

export interface Refs {
  steps: number;
  shapes: number[][];
  init: number[][];
  grads: number[][][];
  optimizers: OptimizerCase[];
  groups: OptimizerCase[];
  schedulers: SchedulerSpec[];
}

export const refs = JSON.parse(
  readFileSync(new URL('../fixtures/torch-optim.json', import.meta.url), 'utf8'),
) as Refs;

export type FloatDType = 'float32' | 'float64';

/** Fresh parameters with the reference's initial values. */
export function makeParams(dtype: FloatDType): k.Tensor[] {
  return refs.init.map((values, i) =>
    k.tensor(values, { dtype, shape: refs.shapes[i]!, requiresGrad: true }),
  );
}

type OptimizerClass = new (
  params: readonly k.Tensor[] | readonly ParamGroupSpec[],
  options: Record<string, unknown>,
) => Optimizer;

/** Builds kiln's optimizer `name` over `params` (or the case's groups of them). */
export function makeOptimizer(c: Omit<OptimizerCase, 'traj'>, params: k.Tensor[]): Optimizer {
  const Ctor = (k.optim as unknown as Record<string, OptimizerClass>)[c.name];
  assert.ok(Ctor, `no optimizer ${c.name}`);
  const groups = c.groups?.map((g) => ({ ...g, params: g.params.map((i) => params[i]!) }));
  return new Ctor(groups ?? params, c.options);
}

/** Sets the reference gradient of step `t` on every parameter. */
export function setGrads(params: k.Tensor[], t: number): void {
  params.forEach((p, i) => {
    p.grad = k.tensor(refs.grads[t][i]!, { dtype: p.dtype, shape: p.shape });
  });
}

/** All parameters' values, flattened in order. */
export function flat(params: k.Tensor[]): number[] {
  return params.flatMap((p) => Array.from(p.dataSync()));
}

/** Runs steps `from..to-1` of the reference, applying the case's live lr edits. */
export function runSteps(
  opt: Optimizer,
  params: k.Tensor[],
  from: number,
  to: number,
  lrChanges?: Record<string, number>,
): number[][] {
  const out: number[][] = [];
  for (let t = from; t < to; t++) {
    const change = lrChanges?.[String(t)];
    if (change !== undefined) opt.paramGroups[0]!.lr = change;
    setGrads(params, t);
    opt.step();
    out.push(flat(params));
  }
  return out;
}

/** Largest |a - b| / max(1, |b|) over two equally long vectors. */
export function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

/** Short label of a case: its name and options. */
export function label(c: { name: string; options?: Record<string, unknown> }): string {
  return `${c.name} ${JSON.stringify(c.options ?? {})}`;
}

function lambdaOf(spec: LambdaSpec): (e: number) => number {
  if (spec.kind === 'pow') return (e) => spec.c ** e;
  if (spec.kind === 'inv') return (e) => 1 / (1 + spec.c * e);
  return () => spec.c;
}

/** An optimizer over one group per entry of `groupLrs`, as the script builds it. */
export function schedulerOptimizer(spec: SchedulerSpec): { opt: Optimizer; params: k.Tensor[] } {
  const params = makeParams('float64');
  const lrs = spec.groupLrs ?? [0.1];
  const groups = lrs.map((lr, i) => ({ params: [params[i]!], lr }));
  const opt =
    spec.optimizer === 'Adam'
      ? new k.optim.Adam(groups, { lr: 0.1 })
      : new k.optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
  return { opt, params };
}

type SchedulerClass = new (optimizer: Optimizer, options: Record<string, unknown>) => LRScheduler;

/** Builds kiln's scheduler described by `spec` on `opt` (children first, as the script). */
export function makeScheduler(opt: Optimizer, spec: Omit<SchedulerSpec, 'lrs'>): LRScheduler {
  const S = k.optim.lrScheduler;
  const options: Record<string, unknown> = { ...spec.options };
  if (spec.name === 'ChainedScheduler')
    return new S.ChainedScheduler(spec.children!.map((c) => makeScheduler(opt, c)));
  if (spec.name === 'SequentialLR') {
    const schedulers = spec.children!.map((c) => makeScheduler(opt, c));
    return new S.SequentialLR(opt, { schedulers, milestones: options.milestones as number[] });
  }
  if (options.lrLambda !== undefined) {
    const ll = options.lrLambda as LambdaSpec | LambdaSpec[];
    options.lrLambda = Array.isArray(ll) ? ll.map(lambdaOf) : lambdaOf(ll);
  }
  const Ctor = (S as unknown as Record<string, SchedulerClass>)[spec.name];
  assert.ok(Ctor, `no scheduler ${spec.name}`);
  return new Ctor(opt, options);
}

/** The momentum of every group: Adam's betas[0] or SGD's momentum. */
export function momentumOf(opt: Optimizer): number[] {
  return opt.paramGroups.map((g) => {
    const loose = g as unknown as { betas?: number[]; momentum?: number };
    return loose.betas ? loose.betas[0]! : loose.momentum!;
  });
}
