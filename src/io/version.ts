import { readFileSync } from 'node:fs';

let cachedVersion: string | undefined;

/**
 * kiln's version from package.json (two levels up from src/io and from dist/io), read once;
 * 'unknown' when the file is missing or is not kiln's. Recorded in checkpoints and tracked runs,
 * and printed by `kiln --version`.
 *
 * @example
 * ```ts
 * kilnVersion(); // '0.1.0'
 * ```
 */
export function kilnVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
      cachedVersion =
        pkg.name === 'kiln' && typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion as string;
}
