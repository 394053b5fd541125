import { BackendError } from '../tensor/errors.js';
import { type Backend, PRIMITIVES } from './backend.js';
import { jsBackend } from './js/index.js';

/** Names of the backends kiln knows. */
export type BackendName = 'js' | 'native';

type Loader = () => { backend: Partial<Backend> & { name: string } } | { error: string };

const loaders = new Map<string, Loader>();
const loaded = new Map<string, Backend>();
let active: Backend = jsBackend;

/**
 * Registers a backend loader. The backend may implement only some primitives: the missing ones
 * fall back to the js reference kernels, per primitive. Used by the native addon's loader.
 */
export function registerBackend(name: string, loader: Loader): void {
  loaders.set(name, loader);
  loaded.delete(name);
}

function load(name: string): Backend | string {
  if (name === 'js') return jsBackend;
  const cached = loaded.get(name);
  if (cached) return cached;
  const loader = loaders.get(name);
  if (!loader)
    return `no backend named '${name}' is registered (known: js${[...loaders.keys()].map((k) => `, ${k}`).join('')})`;
  const result = loader();
  if ('error' in result) return result.error;
  const partial = result.backend;
  const complete = { ...jsBackend } as Record<string, unknown>;
  for (const key of PRIMITIVES) if (partial[key]) complete[key] = partial[key];
  complete.name = partial.name;
  const backend = complete as unknown as Backend;
  loaded.set(name, backend);
  return backend;
}

/**
 * Selects the backend every following operation runs on: `'native'` (the C++ addon) or `'js'`
 * (the TypeScript reference). Throws a `BackendError` naming the reason when it cannot load.
 *
 * @example
 * ```ts
 * k.setBackend('js');
 * k.getBackend(); // 'js'
 * ```
 */
export function setBackend(name: BackendName | string): void {
  const result = load(name);
  if (typeof result === 'string') throw new BackendError(`setBackend('${name}'): ${result}`);
  active = result;
}

/**
 * The name of the active backend.
 *
 * @example
 * ```ts
 * console.log(k.getBackend()); // 'native' when the addon built, else 'js'
 * ```
 */
export function getBackend(): string {
  return active.name;
}

/** The active backend's kernels (for the op layer). */
export function backend(): Backend {
  return active;
}

/**
 * Picks the startup backend: `KILN_BACKEND` when set (an error if it cannot load), else native
 * when its addon loads, else js with a one-line notice. Called once by the package entry.
 */
export function initDefaultBackend(env: Record<string, string | undefined> = process.env): void {
  const requested = env.KILN_BACKEND;
  if (requested) {
    setBackend(requested);
    return;
  }
  if (!loaders.has('native')) return;
  const result = load('native');
  if (typeof result === 'string') {
    if (!env.KILN_QUIET)
      process.stderr.write(`kiln: native backend unavailable (${result}); using js\n`);
    return;
  }
  active = result;
}
