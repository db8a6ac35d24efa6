// An audit row written by the same statement as the change it records (withAuditEvent), and
// the count of rows such a statement changed, which single-use rules rest on: both engines
// must count the main statement's rows, not the audit row in front of it.
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type AuditEvent, cliMeta, withAuditEvent } from '../src/modules/audit/record-audit-event.js';
import { type TestDatabase, describeEachEngine, freshDatabase } from '../src/testing/databases.js';

const event = (type: AuditEvent['type']): AuditEvent => ({ type, at: new Date(), actorId: null, targetId: null, outcome: 'success', meta: cliMeta, details: { n: 1 } });

const auditTypes = async (database: TestDatabase): Promise<string[]> =>
  (await sql<{ type: string }>`SELECT type FROM audit_events ORDER BY id`.execute(database.db)).rows.map((row) => row.type);

describeEachEngine('an audit row written with its change', (engine) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await freshDatabase(engine);
  });
  afterEach(async () => {
    await database.close();
  });

  it('writes the row and the change in one statement, and counts only the change', async () => {
    const { db } = database;
    await sql`INSERT INTO roles (name) VALUES ('A'), ('B'), ('C')`.execute(db);
    const updated = await withAuditEvent(db, event('role.created')).updateTable('roles').set({ name: sql<string>`name || '!'` }).where('name', 'in', ['A', 'B']).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
    const none = await withAuditEvent(db, event('role.assigned')).updateTable('roles').set({ name: 'Y' }).where('name', '=', 'nobody').executeTakeFirst();
    expect(none.numUpdatedRows).toBe(0n);
    // The row is written even when the change touches nothing: a caller that may miss runs
    // in a transaction and rolls back (upgradeWithSecondFactor).
    expect(await auditTypes(database)).toEqual(['role.created', 'role.assigned']);
  });

  it('rolls back with the transaction it is in', async () => {
    const { db } = database;
    await expect(
      db.transaction().execute(async (trx) => {
        await withAuditEvent(trx, event('role.created')).insertInto('roles').values({ name: 'Tellers' }).execute();
        throw new Error('changed our mind');
      }),
    ).rejects.toThrow('changed our mind');
    expect(await auditTypes(database)).toEqual([]);
    expect((await sql<{ n: string }>`SELECT count(*)::text AS n FROM roles`.execute(db)).rows[0]!.n).toBe('0');
  });

});
