import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../ops/creation.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

/** Options of `Module.summary`. */
export interface SummaryOptions {
  /** The dtype of the zero input (float32 by default; int32 for models that start with Embedding). */
  dtype?: DType;
  /** Log the table with `console.log` as well as returning it. */
  print?: boolean;
}

/** One row of a model summary. */
export interface SummaryRow {
  /** Dotted module name (`fc1`, `blocks.0.norm`). */
  name: string;
  /** Class name (`Linear`). */
  type: string;
  /** Depth below the root (1 for direct children). */
  depth: number;
  /** Shape of the module's output in the summary pass (null when it did not run or is not a tensor). */
  outputShape: number[] | null;
  /** Parameters of this module and its submodules. */
  numParams: number;
}

/** The result of `Module.summary`: rows, totals, and the rendered table as `toString()`. */
export interface ModelSummary {
  rows: SummaryRow[];
  /** The output shape of the whole model. */
  outputShape: number[] | null;
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  toString(): string;
}

function shapeOf(value: unknown): number[] | null {
  return value instanceof Tensor ? [...value.shape] : null;
}

function render(s: Omit<ModelSummary, 'toString'>, rootType: string): string {
  const fmt = (shape: number[] | null) => (shape ? `[${shape.join(', ')}]` : '-');
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const body = s.rows.map((r) => [
    `${'  '.repeat(r.depth - 1)}${r.name} (${r.type})`,
    fmt(r.outputShape),
    r.numParams.toLocaleString('en-US'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('   ');
  const rule = (ch: string) => ch.repeat(widths.reduce((a, w) => a + w, 0) + 6);
  return [
    `Model: ${rootType}`,
    rule('='),
    line(header),
    rule('='),
    ...body.map(line),
    rule('='),
    `Output shape: ${fmt(s.outputShape)}`,
    `Total params: ${s.totalParams.toLocaleString('en-US')}`,
    `Trainable params: ${s.trainableParams.toLocaleString('en-US')}`,
    `Non-trainable params: ${s.nonTrainableParams.toLocaleString('en-US')}`,
    rule('_'),
  ].join('\n');
}

/** Implementation of `Module.summary` (see there). @example `summarize(model, [1, 4]).toString()` */
export function summarize(
  root: Module,
  inputShape: readonly number[],
  options: SummaryOptions = {},
): ModelSummary {
  const named = root.namedModules().slice(1);
  const outputs = new Map<Module, unknown>();
  const modes = new Map(root.modules().map((m) => [m, m.training]));
  // Hook by shadowing `forward` with an own property on each instance; deleting it restores the
  // prototype method, so the module is left exactly as it was.
  for (const [, m] of named) {
    const original = m.forward;
    Object.defineProperty(m, 'forward', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (...args: unknown[]) => {
        const out = original.apply(m, args);
        outputs.set(m, out);
        return out;
      },
    });
  }
  let result: unknown;
  try {
    // Eval mode so the pass neither updates running statistics nor draws dropout masks.
    root.eval();
    result = noGrad(() => root.forward(zeros(inputShape, { dtype: options.dtype ?? 'float32' })));
  } finally {
    for (const [, m] of named) delete (m as unknown as Record<string, unknown>).forward;
    for (const [m, mode] of modes) m.training = mode;
  }
  const names = new Set(named.map(([n]) => n));
  const ancestors = (name: string) =>
    name
      .split('.')
      .slice(0, -1)
      .filter((_, i, parts) => names.has(parts.slice(0, i + 1).join('.'))).length;
  const rootName = root.constructor.name;
  const params = root.parameters();
  const totalParams = params.reduce((a, p) => a + p.numel(), 0);
  const trainableParams = params.filter((p) => p.requiresGrad).reduce((a, p) => a + p.numel(), 0);
  const data = {
    rows: named.map(([name, m]) => ({
      name,
      type: m.constructor.name,
      depth: 1 + ancestors(name),
      outputShape: shapeOf(outputs.get(m)),
      numParams: m.numParameters(),
    })),
    outputShape: shapeOf(result),
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
  };
  const text = render(data, rootName);
  if (options.print) console.log(text);
  return { ...data, toString: () => text };
}
