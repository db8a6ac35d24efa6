// The audit trail (SPEC §5, SECURITY.md §13): every sign-in, second-factor failure,
// generation, redemption, revocation, lock-out and permission change is recorded with who,
// to whom, when, from where and the outcome, never a secret; the table is append-only in the
// database; staff with `audit.view` read it at GET /api/admin/audit. Both engines.
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { changePermissions } from '../src/modules/permissions/change-permissions.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, TEST_PASSWORD, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';

interface AuditItem {
  id: string;
  type: string;
  at: string;
  actorId: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

const TEST_IP = '127.0.0.1';
const TEST_USER_AGENT = 'latchkey-tests';

/** Every audit event matching the query, newest first, following the cursor page by page. */
async function readAudit(auditor: Client, query: Record<string, string> = {}, limit = 200): Promise<AuditItem[]> {
  const items: AuditItem[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page += 1) {
    const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor === null ? {} : { cursor }) });
    const reply = await auditor.get(`/api/admin/audit?${params}`);
    expect(reply.statusCode, reply.body).toBe(200);
    const body = reply.json() as { items: AuditItem[]; nextCursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    items.push(...body.items);
    if (body.nextCursor === null) return items;
    cursor = body.nextCursor;
  }
  throw new Error('the audit log never ended');
}

async function auditorOf(harness: Harness): Promise<{ user: TestUser; client: Client }> {
  const user = await addUser(harness, { kind: 'staff', permissions: ['audit.view'] });
  return { user, client: await signIn(harness, user, 'admin') };
}

function only(items: AuditItem[], type: string): AuditItem {
  const matching = items.filter((item) => item.type === type);
  expect(matching.map((item) => item.type)).toEqual([type]);
  return matching[0]!;
}

describeEachEngine('the audit trail', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('records a successful sign-in: the password step, then the second factor', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const before = harness.clock.now().toISOString();
    await signIn(harness, customer, 'banking');
    const { client: auditor } = await auditorOf(harness);

    const events = await readAudit(auditor, { userId: customer.id });
    expect(only(events, 'sign_in.password_succeeded')).toMatchObject({
      actorId: customer.id,
      targetId: customer.id,
      outcome: 'success',
      at: before,
      ip: TEST_IP,
      userAgent: TEST_USER_AGENT,
      details: { surface: 'banking', next: 'second_factor' },
    });
    expect(only(events, 'sign_in.succeeded')).toMatchObject({
      actorId: customer.id,
      targetId: customer.id,
      outcome: 'success',
      ip: TEST_IP,
      userAgent: TEST_USER_AGENT,
      details: { surface: 'banking', factor: 'totp' },
    });
  });

  it('records failed sign-ins: unknown user, wrong password, wrong surface', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client();
    const attempts = [
      { surface: 'banking', username: 'nobody-at-all', password: TEST_PASSWORD },
      { surface: 'banking', username: customer.username, password: 'wrong password, long enough' },
      { surface: 'admin', username: customer.username, password: customer.password },
    ];
    for (const { surface, ...body } of attempts) {
      const reply = await client.request('POST', `/api/${surface}/login`, body, { 'user-agent': `attempt on ${surface}` });
      expect(reply.statusCode).toBe(401);
      expect(reply.json().error.code).toBe('invalid_credentials');
    }
    const { client: auditor } = await auditorOf(harness);

    const failures = (await readAudit(auditor, { type: 'sign_in.password_failed' })).reverse();
    expect(failures).toHaveLength(3);
    for (const failure of failures) expect(failure).toMatchObject({ outcome: 'failure', ip: TEST_IP });
    expect(failures[0]).toMatchObject({ actorId: null, targetId: null, userAgent: 'attempt on banking', details: { surface: 'banking', reason: 'unknown_user' } });
    expect(failures[1]).toMatchObject({ actorId: customer.id, targetId: customer.id, details: { surface: 'banking', reason: 'wrong_password' } });
    expect(failures[2]).toMatchObject({ actorId: customer.id, targetId: customer.id, userAgent: 'attempt on admin', details: { surface: 'admin', reason: 'wrong_surface' } });
    // None of them went on to a session.
    expect(await readAudit(auditor, { type: 'sign_in.password_succeeded', userId: customer.id })).toEqual([]);
  });

  it('records second-factor failures and the lock-out', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client();
    await client.post('/api/banking/login', { username: customer.username, password: customer.password });
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const reply = await client.post('/api/banking/login/verify', { factorId: 'backup_codes', code: `ZZZZ-ZZZZ-ZZZZ-${String(attempt).padStart(4, '0')}` });
      expect(reply.statusCode).toBe(401);
    }
    harness.clock.advance(30);
    expect((await client.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) })).statusCode).toBe(429);
    const { client: auditor } = await auditorOf(harness);

    const events = await readAudit(auditor, { userId: customer.id });
    const failed = events.filter((event) => event.type === 'second_factor.failed').reverse();
    expect(failed).toHaveLength(10);
    expect(failed[0]).toMatchObject({
      actorId: customer.id,
      targetId: customer.id,
      outcome: 'failure',
      ip: TEST_IP,
      userAgent: TEST_USER_AGENT,
      details: { purpose: 'sign_in', factor: 'backup_codes', consecutiveFailures: 1 },
    });
    expect(failed[9]?.details.consecutiveFailures).toBe(10);
    expect(only(events, 'second_factor.locked')).toMatchObject({ targetId: customer.id, outcome: 'failure', details: { lockedForSeconds: 1800 } });
    const refused = only(events, 'second_factor.refused_locked');
    expect(refused).toMatchObject({ targetId: customer.id, outcome: 'failure', details: { retryAfterSeconds: 1770 } });
  });

  it('records generation (actor, target, count, expiry, note, address, user agent), redemption with the remaining count, and revocation', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'users.view', 'audit.view'] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');

    const generated = await admin.request('POST', `/api/admin/users/${customer.id}/backup-codes`, { note: 'Passport checked at branch 12' }, { 'user-agent': 'Service desk 7' });
    expect(generated.statusCode).toBe(201);
    const { codes, expiresAt } = generated.json() as { codes: string[]; expiresAt: string };

    const generation = only(await readAudit(admin, { type: 'backup_codes.generated' }), 'backup_codes.generated');
    expect(generation).toMatchObject({
      actorId: staff.id,
      targetId: customer.id,
      outcome: 'success',
      at: harness.clock.now().toISOString(),
      ip: TEST_IP,
      userAgent: 'Service desk 7',
      details: { origin: 'staff', count: 10, expiresAt, note: 'Passport checked at branch 12' },
    });
    const firstSetId = generation.details.setId;
    expect(firstSetId).toEqual(expect.any(String));

    const banking = harness.client();
    await banking.post('/api/banking/login', { username: customer.username, password: customer.password });
    expect((await banking.post('/api/banking/login/verify', { factorId: 'backup_codes', code: codes[3] })).statusCode).toBe(200);
    const redemption = only(await readAudit(admin, { userId: customer.id }), 'backup_codes.redeemed');
    expect(redemption).toMatchObject({
      actorId: customer.id,
      targetId: customer.id,
      outcome: 'success',
      ip: TEST_IP,
      userAgent: TEST_USER_AGENT,
      details: { setId: firstSetId, origin: 'staff', remaining: 9, purpose: 'sign_in' },
    });

    // A new set revokes the 9 unused codes of the old one.
    const regenerated = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, {});
    expect(regenerated.statusCode).toBe(201);
    const generations = await readAudit(admin, { type: 'backup_codes.generated' });
    expect(generations).toHaveLength(2);
    expect(generations[0]?.details).toMatchObject({ note: null, count: 10 });
    const revocation = only(await readAudit(admin, { userId: customer.id }), 'backup_codes.revoked');
    expect(revocation).toMatchObject({
      actorId: staff.id,
      targetId: customer.id,
      outcome: 'success',
      details: { setId: firstSetId, unusedCodes: 9, replacedBy: generations[0]?.details.setId },
    });
    expect(revocation.details.replacedBy).not.toBe(firstSetId);
  });

  it('records permission grants and revocations, which take effect', async () => {
    const manager = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: ['staff.manage', 'audit.view'] });
    const clerk = await addUser(harness, { kind: 'staff' });
    const clerkClient = await signIn(harness, clerk, 'admin');
    expect((await clerkClient.get('/api/admin/users')).statusCode).toBe(403);

    const meta = { ip: '10.1.2.3', userAgent: 'latchkey-cli' };
    await changePermissions(harness.deps, { change: 'grant', username: clerk.username, codenames: ['users.view', 'users.change'], actorId: manager.id, meta });
    expect((await clerkClient.get('/api/admin/users')).statusCode).toBe(200);
    harness.clock.advance(60);
    await changePermissions(harness.deps, { change: 'revoke', username: clerk.username, codenames: ['users.view'], actorId: manager.id, meta });
    expect((await clerkClient.get('/api/admin/users')).statusCode).toBe(403);

    const auditor = await signIn(harness, manager, 'admin');
    const events = await readAudit(auditor, { userId: clerk.id });
    expect(only(events, 'permissions.granted')).toMatchObject({
      actorId: manager.id,
      targetId: clerk.id,
      outcome: 'success',
      ip: '10.1.2.3',
      userAgent: 'latchkey-cli',
      details: { permissions: 'users.view,users.change' },
    });
    const revoked = only(events, 'permissions.revoked');
    expect(revoked).toMatchObject({ actorId: manager.id, targetId: clerk.id, outcome: 'success', details: { permissions: 'users.view' } });
    expect(new Date(revoked.at).getTime() - new Date(only(events, 'permissions.granted').at).getTime()).toBe(60_000);
  });

  it('no audit row holds a code, a password, a TOTP seed or a session token', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'audit.view'] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    const generated = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'Called back on the number on file' });
    const { codes } = generated.json() as { codes: string[] };
    const banking = harness.client();
    await banking.post('/api/banking/login', { username: customer.username, password: 'a wrong password of some length' });
    await banking.post('/api/banking/login', { username: customer.username, password: customer.password });
    const pendingToken = banking.cookie('latchkey_banking');
    await banking.post('/api/banking/login/verify', { factorId: 'backup_codes', code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' });
    expect((await banking.post('/api/banking/login/verify', { factorId: 'backup_codes', code: codes[0] })).statusCode).toBe(200);
    harness.clock.advance(30);
    expect((await banking.post('/api/banking/reauthenticate', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) })).statusCode).toBe(204);
    const own = await banking.post('/api/banking/me/backup-codes');
    const ownCodes = (own.json() as { codes: string[] }).codes;
    expect(ownCodes).toHaveLength(10);

    const forbidden = [
      ...[...codes, ...ownCodes].flatMap((code) => [code, code.replaceAll('-', ''), code.replaceAll('-', '').toLowerCase()]),
      TEST_PASSWORD,
      'a wrong password of some length',
      staff.totpSecret!,
      customer.totpSecret!,
      pendingToken!,
      banking.cookie('latchkey_banking')!,
      admin.cookie('latchkey_admin')!,
    ];
    const rows = await sql<{ row: string }>`SELECT a::text AS row FROM audit_events a`.execute(harness.deps.db);
    expect(rows.rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.rows.some((row) => row.row.includes('Called back on the number on file'))).toBe(true);
    const leaks = rows.rows.flatMap((row) => forbidden.filter((secret) => row.row.includes(secret)).map((secret) => ({ secret, row: row.row })));
    expect(leaks).toEqual([]);
    const overHttp = JSON.stringify(await readAudit(admin));
    expect(forbidden.filter((secret) => overHttp.includes(secret))).toEqual([]);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE on audit_events', async () => {
    await addUser(harness, { kind: 'customer' });
    await addUser(harness, { kind: 'staff', permissions: ['audit.view'] });
    const snapshot = async () => (await sql<{ row: string }>`SELECT a::text AS row FROM audit_events a ORDER BY id`.execute(harness.deps.db)).rows;
    const before = await snapshot();
    expect(before.length).toBeGreaterThanOrEqual(3);

    const attempts = [
      sql`UPDATE audit_events SET outcome = 'success', details = '{}'::jsonb`,
      sql`UPDATE audit_events SET actor_id = NULL WHERE id = (SELECT min(id) FROM audit_events)`,
      sql`DELETE FROM audit_events`,
      sql`DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)`,
      sql`TRUNCATE audit_events`,
    ];
    for (const attempt of attempts) {
      await expect(attempt.execute(harness.deps.db)).rejects.toThrow(/append-only/);
    }
    // Nor inside a transaction that would otherwise commit.
    await expect(
      harness.deps.db.transaction().execute(async (trx) => {
        await sql`DELETE FROM audit_events WHERE type = 'user.created'`.execute(trx);
      }),
    ).rejects.toThrow(/append-only/);

    expect(await snapshot()).toEqual(before);
    // Appending still works.
    await sql`INSERT INTO audit_events (type, at, outcome) VALUES ('test.appended', now(), 'success')`.execute(harness.deps.db);
    expect(await snapshot()).toHaveLength(before.length + 1);
  });
});

describeEachEngine('GET /api/admin/audit', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('filters by user and by type for staff with audit.view', async () => {
    const alice = await addUser(harness, { kind: 'customer' });
    const bob = await addUser(harness, { kind: 'customer' });
    await signIn(harness, alice, 'banking');
    await signIn(harness, bob, 'banking');
    await harness.client().post('/api/banking/login', { username: alice.username, password: 'not alice password at all' });
    const { user: auditorUser, client: auditor } = await auditorOf(harness);

    const aliceEvents = await readAudit(auditor, { userId: alice.id });
    expect(aliceEvents.map((event) => event.type).sort()).toEqual(['sign_in.password_failed', 'sign_in.password_succeeded', 'sign_in.succeeded', 'user.created']);
    for (const event of aliceEvents) expect([event.actorId, event.targetId]).toContain(alice.id);

    const successes = await readAudit(auditor, { type: 'sign_in.succeeded' });
    expect(successes.map((event) => event.targetId).sort()).toEqual([alice.id, bob.id, auditorUser.id].sort());
    for (const event of successes) expect(event.type).toBe('sign_in.succeeded');

    const both = await readAudit(auditor, { userId: bob.id, type: 'sign_in.succeeded' });
    expect(both).toHaveLength(1);
    expect(both[0]).toMatchObject({ targetId: bob.id, type: 'sign_in.succeeded' });
    expect(await readAudit(auditor, { type: 'no.such_event' })).toEqual([]);
  });

  it('pages with a cursor: limit=2 returns every event exactly once, newest first', async () => {
    const customers = [await addUser(harness, { kind: 'customer' }), await addUser(harness, { kind: 'customer' })];
    for (const customer of customers) await signIn(harness, customer, 'banking');
    await harness.client().post('/api/banking/login', { username: 'nobody', password: 'whatever it is' });
    const { client: auditor } = await auditorOf(harness);

    const count = await sql<{ count: string }>`SELECT count(*)::text AS count FROM audit_events`.execute(harness.deps.db);
    const total = Number(count.rows[0]?.count);
    expect(total).toBeGreaterThanOrEqual(9);

    const paged = await readAudit(auditor, {}, 2);
    const all = await readAudit(auditor, {}, 200);
    expect(all).toHaveLength(total);
    expect(paged).toHaveLength(total);
    expect(new Set(paged.map((event) => event.id)).size).toBe(total);
    expect(paged).toEqual(all);
    const ids = paged.map((event) => BigInt(event.id));
    for (let index = 1; index < ids.length; index += 1) expect(ids[index]! < ids[index - 1]!).toBe(true);

    const first = await auditor.get('/api/admin/audit?limit=2');
    expect(first.json().items).toHaveLength(2);
    expect(first.json().nextCursor).toBe(first.json().items[1].id);
    // Paging a filtered list keeps the filter.
    const pagedFiltered = await readAudit(auditor, { type: 'sign_in.password_succeeded' }, 2);
    expect(pagedFiltered.map((event) => event.type)).toEqual(Array(3).fill('sign_in.password_succeeded'));
  });

  it('is refused without audit.view (403), without a session or with a pending one (401), and on a bad cursor (400)', async () => {
    const clerk = await addUser(harness, { kind: 'staff', permissions: ['users.view', 'users.generate_lockout_codes'] });
    const clerkClient = await signIn(harness, clerk, 'admin');
    const forbidden = await clerkClient.get('/api/admin/audit');
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe('forbidden');

    const anonymous = await harness.client().get('/api/admin/audit');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('unauthenticated');

    const { user: auditorUser, client: auditor } = await auditorOf(harness);
    const pending = harness.client();
    await pending.post('/api/admin/login', { username: auditorUser.username, password: auditorUser.password });
    const pendingReply = await pending.get('/api/admin/audit');
    expect(pendingReply.statusCode).toBe(401);
    expect(pendingReply.json().error.code).toBe('unauthenticated');

    // A customer's session is no key to the Admin Platform.
    const customer = await addUser(harness, { kind: 'customer' });
    const banking = await signIn(harness, customer, 'banking');
    const customerReply = await harness.app.inject({ method: 'GET', url: '/api/admin/audit', headers: { cookie: `latchkey_admin=${banking.cookie('latchkey_banking')}` } });
    expect(customerReply.statusCode).toBe(401);

    expect((await auditor.get('/api/admin/audit')).statusCode).toBe(200);
    for (const cursor of ['abc', '-1', '1.5', '', '12345678901234567890', '9999999999999999999', '9223372036854775808']) {
      const reply = await auditor.get(`/api/admin/audit?cursor=${encodeURIComponent(cursor)}`);
      expect({ cursor, status: reply.statusCode }).toEqual({ cursor, status: 400 });
      expect(reply.json().error.code).toBe('validation_failed');
    }
    for (const query of ['limit=0', 'limit=201', 'limit=two', 'userId=not-a-uuid']) {
      const reply = await auditor.get(`/api/admin/audit?${query}`);
      expect({ query, status: reply.statusCode }).toEqual({ query, status: 400 });
    }
    // The largest id there can be is a valid cursor.
    const last = await auditor.get('/api/admin/audit?cursor=9223372036854775807');
    expect(last.statusCode).toBe(200);
    expect(last.json().items.length).toBeGreaterThan(0);
  });
});
