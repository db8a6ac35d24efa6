// Every parameterised statement Kysely sends to PostgreSQL goes as a named prepared statement,
// parsed and planned once per connection instead of at every request. Unnamed, PostgreSQL plans
// each statement again: for the session lookup behind every request that was 0.25 ms of
// planning for 0.08 ms of execution, and +70% req/s on GET /me when removed (docs/PERFORMANCE.md).
// The name is derived from the text, so every instance and connection names a statement alike.
//
// Statements without parameters (BEGIN, COMMIT, the migrations' scripts) are sent as they are:
// a prepared statement holds one command, and they gain nothing from it.
//
// A prepared SELECT whose result columns change under it (a migration of a newer instance
// adding a column during a rolling deployment) fails with "cached plan must not change result
// type"; it is then prepared again under a new name, once. Not for a transaction-mode
// connection pooler (PgBouncer): prepared statements live on a server connection.
import { createHash } from 'node:crypto';
import type pg from 'pg';

const CACHED_PLAN_CHANGED = '0A000';

export function nameStatements(client: pg.PoolClient): void {
  const send = client.query.bind(client) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  // Bumped when a plan went stale, so that the statement is parsed afresh under a new name.
  let generation = 0;
  const prepared = async (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    const named = () => send({ name: statementName(text, generation), text, values });
    try {
      return await named();
    } catch (error) {
      if ((error as { code?: unknown }).code !== CACHED_PLAN_CHANGED) throw error;
      generation += 1;
      return named();
    }
  };
  const original = client.query;
  client.query = function query(this: pg.PoolClient, ...args: unknown[]) {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) return prepared(text, values);
    return (original as (...rest: unknown[]) => unknown).apply(this, args);
  } as typeof client.query;
}

// The digest of each text, computed once per process: hashing every statement of every
// request was ~2 % of the server's CPU under load. The texts are finite (every value is a
// parameter); the bound only guards against a caller that builds texts without end.
const digests = new Map<string, string>();
const MAX_DIGESTS = 10_000;

function statementName(text: string, generation: number): string {
  let digest = digests.get(text);
  if (digest === undefined) {
    if (digests.size >= MAX_DIGESTS) digests.clear();
    digest = createHash('sha1').update(text).digest('hex').slice(0, 24);
    digests.set(text, digest);
  }
  return `lk${generation}_${digest}`;
}
