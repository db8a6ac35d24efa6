// PostgreSQL gets Kysely's parameterised statements as named prepared statements, planned
// once per connection (src/adapters/db/named-statements.ts); a plan made stale by a migration
// of a newer instance is prepared again instead of failing the request.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDatabase, freshDatabase, testEngines } from '../src/testing/databases.js';

describe.skipIf(!testEngines.includes('postgres'))('named prepared statements on PostgreSQL', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await freshDatabase('postgres');
  });
  afterEach(async () => database.close());

  it('prepares a parameterised statement once per connection and reuses it', async () => {
    const countPermission = (codename: string) =>
      database.db.connection().execute(async (connection) => {
        const found = await connection.selectFrom('permissions').select('name').where('codename', '=', codename).executeTakeFirst();
        const prepared = await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(connection);
        return { found: found?.name, prepared: prepared.rows };
      });
    const first = await countPermission('users.view');
    const second = await countPermission('audit.view');
    expect(first.found).toBe('Can view user');
    expect(second.found).toBe('Can view audit log');
    const ours = second.prepared.filter((row) => row.statement.includes('from "permissions"'));
    // One statement, both calls: the second value reused the first one's plan.
    expect(ours).toHaveLength(1);
    expect(ours[0]!.name).toMatch(/^lk0_[0-9a-f]{24}$/);
  });

  it('prepares a statement again when a migration changes the columns under it', async () => {
    await sql`CREATE TABLE widgets (id integer PRIMARY KEY, name text)`.execute(database.db);
    await sql`INSERT INTO widgets VALUES (1, 'one')`.execute(database.db);
    const read = () =>
      database.db.connection().execute(async (connection) => (await sql<Record<string, unknown>>`SELECT * FROM widgets WHERE id = ${1}`.execute(connection)).rows[0]);
    expect(await read()).toEqual({ id: 1, name: 'one' });
    await sql`ALTER TABLE widgets ADD COLUMN colour text DEFAULT 'blue'`.execute(database.db);
    expect(await read()).toEqual({ id: 1, name: 'one', colour: 'blue' });
  });
});
