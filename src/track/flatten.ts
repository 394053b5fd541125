import type { ParamValue } from './types.js';

/**
 * A nested config as flat params: object keys joined with `.`, array items by index
 * (`optimizer.lr`, `model.0.units`), as MLflow's autolog flattens configs. Values that are not
 * numbers, strings, booleans or null are written as JSON.
 *
 * @example
 * ```ts
 * k.track.flattenParams({ optimizer: { name: 'adam', lr: 0.001 }, model: [{ units: 64 }] });
 * // { 'optimizer.name': 'adam', 'optimizer.lr': 0.001, 'model.0.units': 64 }
 * ```
 */
export function flattenParams(value: unknown, prefix = ''): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  const walk = (v: unknown, key: string): void => {
    if (v === undefined) return;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') out[key] = v;
    else if (typeof v === 'number') out[key] = Number.isFinite(v) ? v : String(v);
    else if (Array.isArray(v)) {
      if (v.length === 0) out[key] = '[]';
      for (const [i, item] of v.entries()) walk(item, key ? `${key}.${i}` : String(i));
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0 && key) out[key] = '{}';
      for (const [k, item] of entries) walk(item, key ? `${key}.${k}` : k);
    } else out[key] = JSON.stringify(v) ?? String(v);
  };
  walk(value, prefix);
  return out;
}
