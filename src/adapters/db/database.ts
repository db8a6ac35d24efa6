// The two engines behind one Kysely handle: PGlite (embedded, the default) and PostgreSQL.
import { createRequire } from 'node:module';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Config } from '../../config.js';
import { lockEmbeddedDatabase } from './embedded-lock.js';
import { nameStatements } from './named-statements.js';
import { pgliteDialect } from './pglite-dialect.js';
import { copyPgliteTemplate } from './pglite-template.js';
import type { Tables } from './schema.js';

export type Db = Kysely<Tables>;
export type Engine = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  engine: Engine;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Who opens the embedded folder; the lock names it to the next one who tries. */
  holder: 'server' | 'cli';
  onPoolError?: (error: Error) => void;
  maxConnections?: number;
}

export async function openDatabase(config: Config['database'], options: OpenOptions): Promise<Database> {
  if (config.kind === 'postgres') {
    return openPostgres({ connectionString: config.url }, options);
  }
  const lock = lockEmbeddedDatabase(config.dataDir, options.holder);
  // While PGlite's WebAssembly compiles, Node's event loop can run out of I/O to wait for; it
  // then carries on only after V8's background compilers have finished all they were given,
  // PGlite's hot functions included: 0.15-0.8 s lost before the next I/O of the start. A timer
  // keeps the loop waiting on I/O meanwhile.
  const keepLoopPolling = setInterval(() => undefined, 60_000);
  try {
    await copyPgliteTemplate(config.dataDir);
    const pglite = await PGlite.create({ dataDir: config.dataDir });
    return wrapPglite(pglite, undefined, async () => {
      await pglite.close();
      lock.release();
    });
  } catch (error) {
    lock.release();
    throw error;
  } finally {
    clearInterval(keepLoopPolling);
  }
}

// While the database is down or unreachable a request waits at most this long for a
// connection, then is answered 503; TCP keep-alive finds a server that vanished silently.
const CONNECT_TIMEOUT_MILLISECONDS = 5_000;
const KEEP_ALIVE_INITIAL_DELAY_MILLISECONDS = 10_000;

// `pg` is loaded by the first openPostgres(), which stays synchronous (a test opens a second
// handle on the spot): an embedded start never needs it.
const require = createRequire(import.meta.url);

export function openPostgres(poolConfig: pg.PoolConfig, options: Omit<OpenOptions, 'holder'> = {}): Database {
  const { Pool } = require('pg') as typeof import('pg');
  const pool = new Pool({
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MILLISECONDS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEP_ALIVE_INITIAL_DELAY_MILLISECONDS,
    ...poolConfig,
  });
  // A client whose server goes away emits 'error' — idle in the pool, or checked out between
  // two queries of a transaction (a restart, pg_terminate_backend). Unheard, that error would
  // end the process; heard, the query in progress fails (answered 503) and the pool drops
  // the client, connecting afresh once the server is back.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onPoolError?.(error));
    nameStatements(client);
  });
  // The pool re-emits an idle client's error, already heard above.
  pool.on('error', () => undefined);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine: 'postgres', close: () => db.destroy() };
}

export function wrapPglite(pglite: PGlite, searchPath: string | undefined, close: () => Promise<void>): Database {
  const dialect = searchPath === undefined ? pgliteDialect({ pglite }) : pgliteDialect({ pglite, searchPath });
  const db = new Kysely<Tables>({ dialect });
  return {
    db,
    engine: 'pglite',
    close: async () => {
      await db.destroy();
      await close();
    },
  };
}
