import type { TuneStorage } from './storage.js';
import { TrackStorage } from './track-storage.js';

/**
 * Opens the persistent store named by a SQLite path or a postgresql:// URL: kiln's tracking store,
 * which keeps studies and trials beside the runs.
 * @internal
 */
export async function openStore(location: string): Promise<TuneStorage> {
  return TrackStorage.open(location);
}
