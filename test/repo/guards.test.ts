// Repository guards: the import graph of src/ has no cycles beyond the known tensor/ops/autograd
// one, and no source file grows past the hard size limit.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve('src');
const MAX_LINES = 800;
// Tensor methods call into the op layer, ops record autograd nodes, and autograd rules use tensor
// methods: one deliberate cycle, kept inside these folders.
const KNOWN_CYCLE_FOLDERS = ['tensor', 'ops', 'autograd'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Relative runtime imports of a file (`import type` and `export type` erase at compile time). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const re = /^\s*(import|export)\s+(?!type\s)([^'";]*?from\s+)?['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[3] as string;
    found.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Strongly connected components with more than one file (Tarjan's algorithm). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) result.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return result;
}

describe('repository guards', () => {
  const files = sourceFiles(SRC);

  it('has no import cycles outside the known tensor/ops/autograd one', () => {
    const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
    const unexpected = cycles(graph)
      .map((c) => c.map((f) => relative(SRC, f)))
      .filter((c) => !c.every((f) => KNOWN_CYCLE_FOLDERS.includes(f.split('/')[0] as string)));
    assert.deepEqual(unexpected, [], `import cycles: ${JSON.stringify(unexpected)}`);
  });

  it('finds the known cycle (the scanner sees imports at all)', () => {
    const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
    assert.ok(cycles(graph).length >= 1);
  });

  it(`keeps every source file under ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => ({ file: relative('.', f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > MAX_LINES);
    assert.deepEqual(long, [], `files over ${MAX_LINES} lines: ${JSON.stringify(long)}`);
  });
});
