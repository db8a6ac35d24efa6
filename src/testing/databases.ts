// Every database test runs on both engines, each case on a fresh schema of its own:
// PGlite in this worker's in-memory instance, PostgreSQL at TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe } from 'vitest';
import { type Database, type Engine, openPostgres, wrapPglite } from '../adapters/db/database.js';
import { migrate } from '../adapters/db/migrate.js';

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** LATCHKEY_TEST_ENGINES=pglite narrows a local run; CI runs both. */
export const testEngines: Engine[] = (process.env.LATCHKEY_TEST_ENGINES ?? 'pglite,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is Engine => name === 'pglite' || name === 'postgres');

let workerPglite: Promise<PGlite> | null = null;

export interface TestDatabase extends Database {
  schema: string;
  /** Another independent handle on the same schema (a second app instance); PostgreSQL only. */
  openAnother(): Database;
}

/** `postgresUrl`: another server than TEST_DATABASE_URL, or the same with an application_name. */
export async function freshDatabase(engine: Engine, postgresUrl = TEST_POSTGRES_URL): Promise<TestDatabase> {
  const schema = `t_${randomBytes(8).toString('hex')}`;
  if (engine === 'pglite') {
    const pglite = await (workerPglite ??= PGlite.create());
    await pglite.exec(`CREATE SCHEMA ${schema}`);
    const database = wrapPglite(pglite, schema, async () => {
      await pglite.exec(`SET search_path TO public; DROP SCHEMA ${schema} CASCADE`);
    });
    await migrate(database.db);
    return {
      ...database,
      schema,
      openAnother: () => {
        throw new Error('PGlite is a single-process database: there is no second instance to open');
      },
    };
  }
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const connect = () => openPostgres({ connectionString: postgresUrl, options: `-c search_path=${schema}` });
  const database = connect();
  await migrate(database.db);
  return {
    ...database,
    schema,
    openAnother: connect,
    close: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: postgresUrl });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

/** `describe` once per engine; the callback gets the engine to pass to freshDatabase(). */
export function describeEachEngine(title: string, body: (engine: Engine) => void): void {
  for (const engine of testEngines) describe(`${title} [${engine}]`, () => body(engine));
}
