import { ValueError } from '../tensor/errors.js';
import type { TuneStorage } from './storage.js';

/**
 * Opens a persistent store named by a path or URL. The SQLite and PostgreSQL stores of `k.track`
 * are not in this build yet, so only storage objects are accepted for now.
 * @internal
 */
export async function openStore(location: string): Promise<TuneStorage> {
  throw new ValueError(
    `tune: store '${location}': persistent stores (SQLite path, postgresql:// URL) are not available yet; pass a storage object such as new k.tune.InMemoryStorage()`,
  );
}
