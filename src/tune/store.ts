import type { TuneStorage } from './storage.js';

/**
 * Opens the persistent store named by a SQLite path or a postgresql:// URL: kiln's tracking store,
 * which keeps studies and trials beside the runs. Loaded on demand, so that in-memory studies (and
 * worker threads) never load the database drivers.
 * @internal
 */
export async function openStore(location: string): Promise<TuneStorage> {
  const { TrackStorage } = await import('./track-storage.js');
  return TrackStorage.open(location);
}
