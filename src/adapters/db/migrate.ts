// Plain-SQL migrations, applied in name order, each in its own transaction; an advisory
// lock keeps instances that start together from applying one twice.
import { readdir, readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Db } from './database.js';

const migrationsFolder = new URL('./migrations/', import.meta.url);

export async function migrate(db: Db): Promise<string[]> {
  const files = (await readdir(migrationsFolder)).filter((name) => name.endsWith('.sql')).sort();
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('latchkey.migrate.' || current_schema()))`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS latchkey_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(trx);
    const done = await sql<{ name: string }>`SELECT name FROM latchkey_migrations`.execute(trx);
    const applied = new Set(done.rows.map((row) => row.name));
    const newlyApplied: string[] = [];
    for (const name of files) {
      if (applied.has(name)) continue;
      const script = await readFile(new URL(name, migrationsFolder), 'utf8');
      await sql.raw(script).execute(trx);
      await sql`INSERT INTO latchkey_migrations (name) VALUES (${name})`.execute(trx);
      newlyApplied.push(name);
    }
    return newlyApplied;
  });
}
