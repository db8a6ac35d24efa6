// The tamper-evident audit log (SECURITY §13.3, ASVS 16.4.2): the application seals every
// committed event into an HMAC chain keyed by the server secret; the database lets through no
// UPDATE but that sealing one; and whoever edits or deletes rows with the triggers off (a
// database superuser) is named by verifyAuditChain — event by event — unless they also hold
// the server secret. Both engines; the races between instances on PostgreSQL.
import { type RawBuilder, sql } from 'kysely';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { Db } from '../src/adapters/db/database.js';
import { createAuditSealer } from '../src/modules/audit/audit-sealer.js';
import { GENESIS_HASH } from '../src/modules/audit/chain-hash.js';
import { type AuditEvent, cliMeta, recordAuditEvent } from '../src/modules/audit/record-audit-event.js';
import { sealAuditEvents } from '../src/modules/audit/seal-audit-events.js';
import { verifyAuditChain } from '../src/modules/audit/verify-audit-chain.js';
import { deriveServerKeys } from '../src/shared/secrets.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Harness, addUser, signIn, startHarness } from '../src/testing/harness.js';

interface EventRow {
  id: string;
  seq: string | null;
  chain_hash: string | null;
  type: string;
}

const rowsOf = async (db: Db): Promise<EventRow[]> =>
  (await sql<EventRow>`SELECT id::text AS id, seq::text AS seq, chain_hash, type FROM audit_events ORDER BY audit_events.id`.execute(db)).rows;

/** What a database superuser (or the table's owner) can do: switch the triggers off and write. */
async function asSuperuser(db: Db, table: 'audit_events' | 'audit_chain_head', statement: RawBuilder<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE ${sql.table(table)} DISABLE TRIGGER USER`.execute(trx);
    await statement.execute(trx);
    await sql`ALTER TABLE ${sql.table(table)} ENABLE TRIGGER USER`.execute(trx);
  });
}

describeEachEngine('the tamper-evident audit log', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  /** Real flows: users created, permissions granted, sign-ins, a wrong password. */
  async function writeEvents(): Promise<void> {
    await addUser(harness, { kind: 'staff', permissions: ['audit.view'] });
    for (let index = 0; index < 3; index += 1) {
      const customer = await addUser(harness, { kind: 'customer' });
      await signIn(harness, customer, 'banking');
    }
    await harness.client().post('/api/banking/login', { username: 'nobody', password: 'not a password of anyone' });
  }

  const verify = (batchSize?: number) => verifyAuditChain(harness.deps, batchSize);

  it('seals what real flows write, in id order and gap-free; verify finds it intact and only reads', async () => {
    await writeEvents();
    const written = await rowsOf(harness.deps.db);
    expect(written.length).toBeGreaterThanOrEqual(10);
    expect(written.every((row) => row.seq === null && row.chain_hash === null)).toBe(true);
    expect(await verify()).toEqual({ sealedCount: 0, head: { seq: '0', hash: GENESIS_HASH }, unsealedCount: written.length, problems: [], problemCount: 0 });

    // Small batches, so that both walks cross batch boundaries.
    expect(await sealAuditEvents(harness.deps, 3)).toBe(written.length);
    const sealed = await rowsOf(harness.deps.db);
    expect(sealed.map((row) => row.seq)).toEqual(written.map((_, index) => String(index + 1)));
    for (const row of sealed) expect(row.chain_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(sealed.map((row) => row.chain_hash)).size).toBe(sealed.length);
    const intact = { sealedCount: sealed.length, head: { seq: String(sealed.length), hash: sealed.at(-1)!.chain_hash }, unsealedCount: 0, problems: [], problemCount: 0 };
    expect(await verify(2)).toEqual(intact);
    expect(await sealAuditEvents(harness.deps)).toBe(0);

    // New events wait for the next round; verify counts them and leaves them unsealed.
    const customer = await addUser(harness, { kind: 'customer' });
    await signIn(harness, customer, 'banking');
    expect(await verify()).toEqual({ ...intact, unsealedCount: 3 });
    expect((await rowsOf(harness.deps.db)).filter((row) => row.seq === null)).toHaveLength(3);
    expect(await sealAuditEvents(harness.deps)).toBe(3);
    const report = await verify();
    expect(report).toMatchObject({ sealedCount: sealed.length + 3, head: { seq: String(sealed.length + 3) }, unsealedCount: 0, problemCount: 0 });
  });

  it('names an edited event, a deleted one and a shifted timestamp, and goes on past each', async () => {
    await writeEvents();
    await sealAuditEvents(harness.deps);
    const rows = await rowsOf(harness.deps.db);
    const bySeq = (seq: number) => rows.find((row) => row.seq === String(seq))!;
    expect(rows.length).toBeGreaterThanOrEqual(10);

    await asSuperuser(harness.deps.db, 'audit_events', sql`UPDATE audit_events SET details = details || '{"note": "nothing happened"}' WHERE seq = 3`);
    expect(await verify()).toMatchObject({ problems: [{ kind: 'changed', seq: '3', id: bySeq(3).id }], problemCount: 1 });

    await asSuperuser(harness.deps.db, 'audit_events', sql`DELETE FROM audit_events WHERE seq = 5`);
    // timestamptz keeps microseconds; so does the chain.
    await asSuperuser(harness.deps.db, 'audit_events', sql`UPDATE audit_events SET at = at + interval '1 microsecond' WHERE seq = 8`);
    const report = await verify(4);
    expect(report.problems).toEqual([
      { kind: 'changed', seq: '3', id: bySeq(3).id },
      { kind: 'missing', firstSeq: '5', lastSeq: '5', nextSeq: '6', nextId: bySeq(6).id },
      { kind: 'changed', seq: '8', id: bySeq(8).id },
    ]);
    expect(report).toMatchObject({ sealedCount: rows.length - 1, problemCount: 3 });
  });

  it('finds a removed tail by the chain head, and a head moved back only by the copy kept elsewhere', async () => {
    await writeEvents();
    await sealAuditEvents(harness.deps);
    const rows = await rowsOf(harness.deps.db);
    const last = rows.length;
    const shippedHead = (await verify()).head;
    expect(shippedHead).toEqual({ seq: String(last), hash: rows.at(-1)!.chain_hash });

    await asSuperuser(harness.deps.db, 'audit_events', sql`DELETE FROM audit_events WHERE seq >= ${last - 1}`);
    expect((await verify()).problems).toEqual([{ kind: 'truncated', firstSeq: String(last - 1), lastSeq: String(last) }]);

    // A head changed on its own does not match its event.
    await asSuperuser(harness.deps.db, 'audit_chain_head', sql`UPDATE audit_chain_head SET last_hash = ${'f'.repeat(64)}`);
    expect((await verify()).problems).toContainEqual({ kind: 'truncated', firstSeq: String(last - 1), lastSeq: String(last) });
    await asSuperuser(harness.deps.db, 'audit_chain_head', sql`UPDATE audit_chain_head SET last_seq = ${last - 2}`);
    expect((await verify()).problems).toEqual([{ kind: 'head_mismatch', seq: String(last - 2) }]);
    await asSuperuser(harness.deps.db, 'audit_chain_head', sql`UPDATE audit_chain_head SET last_seq = ${last - 4}`);
    expect((await verify()).problems).toEqual([{ kind: 'beyond_head', headSeq: String(last - 4), lastSeq: String(last - 2) }]);

    // Tail and head rewound together leave a consistent chain in the database: only the
    // head recorded earlier, outside it (ASVS 16.4.3), shows that events are gone.
    await asSuperuser(harness.deps.db, 'audit_chain_head', sql`UPDATE audit_chain_head SET last_seq = ${last - 2}, last_hash = ${rows[last - 3]!.chain_hash}`);
    const rewound = await verify();
    expect(rewound.problems).toEqual([]);
    expect(rewound.head).not.toEqual(shippedHead);
  });

  it('with another server secret every link fails, from seq 1: the key matters', async () => {
    await writeEvents();
    await sealAuditEvents(harness.deps);
    const rows = await rowsOf(harness.deps.db);
    const other = await verifyAuditChain({ db: harness.deps.db, keys: deriveServerKeys('another-server-secret-0123456789-abcdef') });
    expect(other.problems[0]).toEqual({ kind: 'changed', seq: '1', id: rows[0]!.id });
    expect(other.problemCount).toBe(rows.length);
    expect((await verify()).problemCount).toBe(0);
  });

  it('the database refuses every UPDATE, DELETE and TRUNCATE but the sealing one, and never moves the head back', async () => {
    await writeEvents();
    await sealAuditEvents(harness.deps);
    await addUser(harness, { kind: 'customer' });
    const snapshot = async () => (await sql<{ row: string }>`SELECT a::text AS row FROM audit_events a ORDER BY id`.execute(harness.deps.db)).rows;
    const before = await snapshot();
    const unsealed = (await rowsOf(harness.deps.db)).find((row) => row.seq === null)!;
    const hash = 'a'.repeat(64);

    const refused = [
      // Sealed rows: neither their fields nor their seal change, nor are they unsealed.
      sql`UPDATE audit_events SET details = '{}'::jsonb WHERE seq = 1`,
      sql`UPDATE audit_events SET seq = seq + 1000 WHERE seq = 2`,
      sql`UPDATE audit_events SET chain_hash = ${hash} WHERE seq = 2`,
      sql`UPDATE audit_events SET seq = NULL, chain_hash = NULL WHERE seq = 3`,
      sql`DELETE FROM audit_events WHERE seq = 1`,
      // The unsealed row: sealing may not change anything else, nor set half a seal.
      sql`UPDATE audit_events SET seq = 1000, chain_hash = ${hash}, details = '{"x": 1}'::jsonb WHERE id = ${unsealed.id}`,
      sql`UPDATE audit_events SET seq = 1000, chain_hash = ${hash}, at = at + interval '1 microsecond' WHERE id = ${unsealed.id}`,
      sql`UPDATE audit_events SET seq = 1000, chain_hash = ${hash}, type = 'user.deleted' WHERE id = ${unsealed.id}`,
      sql`UPDATE audit_events SET seq = 1000 WHERE id = ${unsealed.id}`,
      sql`UPDATE audit_events SET details = '{}'::jsonb WHERE id = ${unsealed.id}`,
      sql`DELETE FROM audit_events WHERE id = ${unsealed.id}`,
      sql`TRUNCATE audit_events`,
    ];
    for (const attempt of refused) {
      await expect(attempt.execute(harness.deps.db)).rejects.toThrow(/append-only|audit_events_sealed_whole/);
    }
    expect(await snapshot()).toEqual(before);

    for (const attempt of [sql`UPDATE audit_chain_head SET last_seq = 0`, sql`UPDATE audit_chain_head SET last_hash = ${hash}`, sql`DELETE FROM audit_chain_head`, sql`TRUNCATE audit_chain_head`]) {
      await expect(attempt.execute(harness.deps.db)).rejects.toThrow(/only moves forward/);
    }
    await expect(sql`INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (false, 0, ${hash})`.execute(harness.deps.db)).rejects.toThrow();
    await expect(sql`INSERT INTO audit_chain_head (last_seq, last_hash) VALUES (0, ${hash})`.execute(harness.deps.db)).rejects.toThrow();

    // The sealing update itself goes through.
    expect(await sealAuditEvents(harness.deps)).toBe(1);
    expect(await verify()).toMatchObject({ unsealedCount: 0, problemCount: 0 });
  });

  it('seals in the background every interval, and a last round on stop', async () => {
    const warnings: string[] = [];
    const log = { warn: (_fields: object, message: string) => void warnings.push(message) };
    const unsealedCount = async () => (await verify()).unsealedCount;

    const sealer = createAuditSealer({ ...harness.deps, log }, { pollIntervalInMs: 20 });
    sealer.start();
    try {
      await addUser(harness, { kind: 'customer' });
      await vi.waitFor(async () => expect(await unsealedCount()).toBe(0), { timeout: 5000, interval: 20 });
    } finally {
      await sealer.stop();
    }

    // The next round is a minute away; stopping seals what the last requests wrote.
    const slow = createAuditSealer({ ...harness.deps, log }, { pollIntervalInMs: 60_000 });
    slow.start();
    await addUser(harness, { kind: 'customer' });
    expect(await unsealedCount()).toBe(1);
    await slow.stop();
    expect(await verify()).toMatchObject({ sealedCount: 2, unsealedCount: 0, problemCount: 0 });
    expect(warnings).toEqual([]);
  });

  if (engine === 'postgres') {
    const event = (note: string): AuditEvent => ({
      type: 'profile.updated',
      at: harness.clock.now(),
      actorId: null,
      targetId: null,
      outcome: 'success',
      meta: cliMeta,
      details: { note },
    });

    it('two instances sealing while events are written build one gap-free chain', async () => {
      const other = harness.database.openAnother();
      try {
        const instances = [harness.deps, { ...harness.deps, db: other.db }];
        let writing = true;
        const writers = instances.flatMap((deps, instance) =>
          [0, 1, 2].map(async (writer) => {
            for (let index = 0; index < 100; index += 1) {
              await deps.db.transaction().execute((trx) => recordAuditEvent(trx, event(`${instance}.${writer}.${index}`)));
            }
          }),
        );
        const sealers = instances.map(async (deps) => {
          let sealed = 0;
          while (writing) sealed += await sealAuditEvents(deps, 25);
          return sealed;
        });
        await Promise.all(writers);
        writing = false;
        const sealedByEach = await Promise.all(sealers);
        const last = await sealAuditEvents(harness.deps);
        expect(sealedByEach[0]! + sealedByEach[1]! + last).toBe(600);
        // Both instances did part of the work.
        expect(sealedByEach.every((count) => count > 0)).toBe(true);

        const rows = await rowsOf(harness.deps.db);
        expect(rows).toHaveLength(600);
        expect(rows.map((row) => Number(row.seq)).sort((a, b) => a - b)).toEqual(rows.map((_, index) => index + 1));
        expect(await verifyAuditChain({ ...harness.deps, db: other.db }, 64)).toMatchObject({ sealedCount: 600, head: { seq: '600' }, unsealedCount: 0, problemCount: 0 });
      } finally {
        await other.close();
      }
    });

    it('an event that commits after a higher id was sealed gets the next seq', async () => {
      const other = harness.database.openAnother();
      try {
        let written!: () => void;
        let commit!: () => void;
        const lateIsWritten = new Promise<void>((resolve) => (written = resolve));
        const mayCommit = new Promise<void>((resolve) => (commit = resolve));
        const late = other.db.transaction().execute(async (trx) => {
          await recordAuditEvent(trx, event('late'));
          written();
          await mayCommit;
        });
        await lateIsWritten;
        await recordAuditEvent(harness.deps.db, event('early'));
        expect(await sealAuditEvents(harness.deps)).toBe(1);
        commit();
        await late;
        expect(await sealAuditEvents(harness.deps)).toBe(1);

        const rows = (await sql<{ id: string; seq: string; note: string }>`
          SELECT id::text AS id, seq::text AS seq, details->>'note' AS note FROM audit_events ORDER BY audit_events.id`.execute(harness.deps.db)).rows;
        expect(rows.map((row) => [row.note, row.seq])).toEqual([
          ['late', '2'],
          ['early', '1'],
        ]);
        expect(await verify()).toMatchObject({ sealedCount: 2, unsealedCount: 0, problemCount: 0 });
      } finally {
        await other.close();
      }
    });
  }
});
