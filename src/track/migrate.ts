import { ValueError } from '../tensor/errors.js';
import type { SqlDriver } from './driver.js';
import { MIGRATIONS, SCHEMA_TABLE, SCHEMA_VERSION } from './schema.js';

/**
 * Brings the database to `target` (default: the newest schema) and returns its version. Each
 * open runs this under the migration lock, so concurrent openers apply every migration once.
 * A database written by a newer kiln is refused rather than misread.
 */
export async function migrate(db: SqlDriver, target = SCHEMA_VERSION): Promise<number> {
  return db.transaction(async (tx) => {
    await db.lockSchema(tx);
    await tx.run(SCHEMA_TABLE);
    const [row] = await tx.all<{ v: number | null }>('SELECT MAX(version) AS v FROM kiln_schema');
    const current = Number(row?.v ?? 0);
    if (current > SCHEMA_VERSION)
      throw new ValueError(
        `tracking store ${db.location}: schema version ${current} is newer than this kiln's (${SCHEMA_VERSION}); upgrade kiln to read it`,
      );
    let version = current;
    for (const m of MIGRATIONS) {
      if (m.version <= current || m.version > target) continue;
      for (const sql of m.statements(db.dialect)) await tx.run(sql);
      await tx.run('INSERT INTO kiln_schema (version, applied_at) VALUES (?, ?)', [
        m.version,
        Date.now(),
      ]);
      version = m.version;
    }
    return version;
  });
}
