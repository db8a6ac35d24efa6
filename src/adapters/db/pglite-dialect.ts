// A Kysely dialect for PGlite (embedded PostgreSQL): one connection, lent out to one
// caller at a time, so a transaction holds the database until it ends.
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';

export interface PGliteDialectOptions {
  pglite: PGlite;
  /** Set on every lease, for tests that give each case its own schema in one PGlite. */
  searchPath?: string;
}

const WRITE_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

// Which search_path each PGlite currently has, shared by every dialect lent that instance.
const currentSearchPath = new WeakMap<PGlite, string>();

export function pgliteDialect(options: PGliteDialectOptions): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => createDriver(options),
    createQueryCompiler: () => new PostgresQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new PostgresIntrospector(db),
  };
}

function createDriver({ pglite, searchPath }: PGliteDialectOptions): Driver {
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      // Without parameters use the simple protocol, as `pg` does: it runs scripts of
      // several statements (migrations) and answers with the last statement's result.
      const result =
        query.parameters.length === 0
          ? ((await pglite.exec(query.sql)).at(-1) ?? { rows: [], fields: [] })
          : await pglite.query<R>(query.sql, query.parameters as unknown[]);
      // As Kysely's own PostgreSQL driver: the command tag says whether rows were written
      // (a statement may open with WITH), and its count is this statement's alone.
      return WRITE_COMMANDS.has(result.command ?? '')
        ? { rows: result.rows as R[], numAffectedRows: BigInt(result.rowCount ?? 0) }
        : { rows: result.rows as R[] };
    },
    async *streamQuery(): AsyncIterableIterator<QueryResult<never>> {
      throw new Error('PGlite dialect: streaming queries are not supported');
    },
  };
  let queue: Promise<void> = Promise.resolve();
  let release: (() => void) | null = null;

  return {
    async init() {
      await pglite.waitReady;
    },
    async acquireConnection() {
      const previous = queue;
      let done!: () => void;
      queue = new Promise<void>((resolve) => (done = resolve));
      await previous;
      release = done;
      if (searchPath !== undefined && currentSearchPath.get(pglite) !== searchPath) {
        await pglite.exec(`SET search_path TO "${searchPath.replaceAll('"', '""')}"`);
        currentSearchPath.set(pglite, searchPath);
      }
      return connection;
    },
    async beginTransaction(conn, settings) {
      const isolation = settings.isolationLevel === undefined ? '' : ` ISOLATION LEVEL ${settings.isolationLevel.toUpperCase()}`;
      await conn.executeQuery(CompiledQuery.raw(`BEGIN${isolation}`));
    },
    async commitTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('COMMIT'));
    },
    async rollbackTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw('ROLLBACK'));
    },
    async releaseConnection() {
      const done = release;
      release = null;
      done?.();
    },
    async destroy() {
      // The PGlite instance belongs to whoever created it; see openDatabase().
    },
  };
}
