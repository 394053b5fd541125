import type { Module } from '../nn/module.js';

/**
 * Wraps the `forward` of every module in `model` so that, while `fn` runs, `paths` ends with the
 * dotted path of the innermost module whose forward is running (as PyTorch's module scopes).
 * The original methods are restored afterwards.
 */
export function withModulePaths<T>(model: Module, paths: string[], fn: () => T): T {
  const restore: (() => void)[] = [];
  for (const [name, mod] of model.namedModules()) {
    const holder = mod as unknown as { forward: (...args: unknown[]) => unknown };
    const own = Object.hasOwn(holder, 'forward');
    const original = holder.forward;
    holder.forward = function (this: unknown, ...args: unknown[]) {
      paths.push(name);
      try {
        return original.apply(this, args);
      } finally {
        paths.pop();
      }
    };
    restore.push(() => {
      if (own) holder.forward = original;
      else delete (holder as { forward?: unknown }).forward;
    });
  }
  try {
    return fn();
  } finally {
    for (const undo of restore) undo();
  }
}
