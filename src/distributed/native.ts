import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Element arrays the collectives accept. */
export type CommArray = Float32Array | Float64Array | Int32Array;

/** Options of the addon's `init` (see native/src/dist_addon.cc). */
export interface RawInitOptions {
  storeHost?: string;
  storePort?: number;
  filePath?: string;
  prefix: string;
  bindHost?: string;
  iface?: string;
  rank: number;
  size: number;
  timeoutMs: number;
}

/** One Gloo process group in the addon; every collective settles when it is done everywhere. */
export interface RawProcessGroup {
  init(options: RawInitOptions): Promise<void>;
  /** op: 0 sum, 1 product, 2 min, 3 max. In place. */
  allReduce(data: CommArray, op: number, timeoutMs?: number): Promise<void>;
  broadcast(data: CommArray, root: number, timeoutMs?: number): Promise<void>;
  /** Blocks until the broadcast is done; throws its error. */
  broadcastSync(data: CommArray, root: number, timeoutMs?: number): void;
  allGather(input: CommArray, output: CommArray, timeoutMs?: number): Promise<void>;
  barrier(timeoutMs?: number): Promise<void>;
  close(): void;
}

interface RawDistAddon {
  ProcessGroup: new () => RawProcessGroup;
}

const ADDON = join('build', 'Release', 'kiln_dist.node');

let cached: { addon: RawDistAddon | null; error: string } | undefined;

/** Loads `build/Release/kiln_dist.node` once; null with the reason when it is absent, broken or disabled (KILN_NO_GLOO=1). */
export function loadDistAddon(): { addon: RawDistAddon | null; error: string } {
  if (cached) return cached;
  if (process.env.KILN_NO_GLOO === '1') {
    cached = { addon: null, error: 'disabled by KILN_NO_GLOO=1' };
    return cached;
  }
  // src/distributed and dist/distributed both sit two levels below the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  let path: string | null = null;
  for (let i = 0; i < 4 && path === null; i++) {
    if (existsSync(join(dir, ADDON))) path = join(dir, ADDON);
    dir = dirname(dir);
  }
  if (path === null) {
    cached = { addon: null, error: `${ADDON} was not built` };
    return cached;
  }
  try {
    cached = { addon: createRequire(import.meta.url)(path) as RawDistAddon, error: '' };
  } catch (e) {
    cached = { addon: null, error: `${path} failed to load: ${(e as Error).message}` };
  }
  return cached;
}
