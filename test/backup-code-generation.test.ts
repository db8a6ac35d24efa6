// SPEC §2's table of who may generate backup codes for whom, through HTTP
// `POST /api/admin/users/{id}/backup-codes`, each refusal with its exact status and code; and
// for every case the Admin Platform's hint `can.generateBackupCodes` agrees with the server.
// Then what a set does once it exists: revocation by a newer set, expiry, the audit trail,
// and a customer's own recovery codes replacing what is left of a staff-issued set.
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cliMeta } from '../src/modules/audit/record-audit-event.js';
import { assignRole, createRole } from '../src/modules/permissions/roles.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';

const GENERATE = 'users.generate_lockout_codes';
const VIEW = 'users.view';
const EVERY_OTHER_PERMISSION = ['users.view', 'users.change', 'audit.view', 'staff.manage'];
const SEVEN_DAYS_IN_SECONDS = 7 * 24 * 3600;

describeEachEngine('generating backup codes for a user', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  const generate = (client: Client, targetId: string, body?: unknown) => client.post(`/api/admin/users/${targetId}/backup-codes`, body);
  const detail = (client: Client, targetId: string) => client.get(`/api/admin/users/${targetId}`);

  function expectError(reply: LightMyRequestResponse, status: number, code: string): void {
    expect({ status: reply.statusCode, code: reply.json()?.error?.code }).toEqual({ status, code });
  }

  /** The UI's hint first, then the server's answer: the hint is true exactly when the server generates. */
  async function expectRefusedAndHintAgrees(client: Client, targetId: string, status: number, code: string): Promise<void> {
    const shown = await detail(client, targetId);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().can).toMatchObject({ generateBackupCodes: false });
    expectError(await generate(client, targetId), status, code);
  }

  async function expectGeneratedAndHintAgrees(client: Client, targetId: string): Promise<string[]> {
    const shown = await detail(client, targetId);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().can).toMatchObject({ generateBackupCodes: true });
    const generated = await generate(client, targetId);
    expect(generated.statusCode).toBe(201);
    const codes = generated.json().codes as string[];
    expect(codes).toHaveLength(10);
    return codes;
  }

  const setsOf = (userId: string) =>
    harness.deps.db.selectFrom('backup_code_sets').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();

  const auditEvents = (type: string) =>
    harness.deps.db.selectFrom('audit_events').selectAll().where('type', '=', type).orderBy('id').execute();

  /** A customer's sign-in with password and a backup code, on a client of its own. */
  async function signInWithBackupCode(customer: TestUser, code: string): Promise<{ client: Client; reply: LightMyRequestResponse; offered: boolean }> {
    const client = harness.client();
    const login = await client.post('/api/banking/login', { username: customer.username, password: customer.password });
    expect(login.statusCode).toBe(200);
    const factors = (login.json().factors ?? []) as { id: string }[];
    const reply = await client.post('/api/banking/login/verify', { factorId: 'backup_codes', code });
    return { client, reply, offered: factors.some((factor) => factor.id === 'backup_codes') };
  }

  it('without a session: 401 unauthenticated, and the user page is closed too', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const anonymous = harness.client();
    expectError(await detail(anonymous, customer.id), 401, 'unauthenticated');
    expectError(await generate(anonymous, customer.id), 401, 'unauthenticated');
    expect(await setsOf(customer.id)).toEqual([]);
  });

  it('a pending session (password only, no second factor) gets 401 unauthenticated', async () => {
    const staff = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    const pending = harness.client();
    const login = await pending.post('/api/admin/login', { username: staff.username, password: staff.password });
    expect(login.json().status).toBe('second_factor_required');
    expect(pending.cookie('latchkey_admin')).toBeDefined();
    expectError(await detail(pending, customer.id), 401, 'unauthenticated');
    expectError(await generate(pending, customer.id), 401, 'unauthenticated');
    expect(await setsOf(customer.id)).toEqual([]);
  });

  it("a customer's Digital Banking session does not open the Admin Platform", async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const other = await addUser(harness, { kind: 'customer' });
    const banking = await signIn(harness, customer, 'banking');
    expect((await banking.get('/api/banking/me')).statusCode).toBe(200);
    expectError(await detail(banking, other.id), 401, 'unauthenticated');
    expectError(await generate(banking, other.id), 401, 'unauthenticated');
    // The banking token presented under the admin cookie's name is no admin session either.
    const token = banking.cookie('latchkey_banking');
    expect(token).toBeDefined();
    const asAdmin = await banking.request('POST', `/api/admin/users/${other.id}/backup-codes`, undefined, { cookie: `latchkey_admin=${token}` });
    expectError(asAdmin, 401, 'unauthenticated');
    // And a customer cannot sign in to the Admin Platform at all.
    const adminLogin = await harness.client().post('/api/admin/login', { username: customer.username, password: customer.password });
    expectError(adminLogin, 401, 'invalid_credentials');
    expect(await setsOf(other.id)).toEqual([]);
  });

  it('staff without users.generate_lockout_codes get 403 forbidden, even with every other permission', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const viewer = await addUser(harness, { kind: 'staff', permissions: [VIEW] });
    const everythingElse = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: EVERY_OTHER_PERMISSION });
    for (const staff of [viewer, everythingElse]) {
      const admin = await signIn(harness, staff, 'admin');
      await expectRefusedAndHintAgrees(admin, customer.id, 403, 'forbidden');
      // Refused before the target is looked up: an unknown id tells them nothing more.
      expectError(await generate(admin, randomUUID()), 403, 'forbidden');
    }
    expect(await setsOf(customer.id)).toEqual([]);
    const refused = await auditEvents('backup_codes.generation_refused');
    expect(refused.filter((event) => event.target_id === customer.id).map((event) => event.details.reason)).toEqual([
      'missing_permission',
      'missing_permission',
    ]);
  });

  it('the permission works when granted through a role', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const staff = await addUser(harness, { kind: 'staff' });
    await createRole(harness.deps, { name: 'Lockout desk', codenames: [GENERATE, VIEW], actorId: null, meta: cliMeta });
    await assignRole(harness.deps, { username: staff.username, roleName: 'Lockout desk', actorId: null, meta: cliMeta });
    const admin = await signIn(harness, staff, 'admin');
    expect((await admin.get('/api/admin/me')).json().user.permissions).toEqual([GENERATE, VIEW]);
    // No body at all: the note is optional.
    await expectGeneratedAndHintAgrees(admin, customer.id);
    expect(await setsOf(customer.id)).toHaveLength(1);
    const [generated] = await auditEvents('backup_codes.generated');
    expect(generated).toMatchObject({ actor_id: staff.id, target_id: customer.id });
    expect(generated?.details.note).toBeNull();
  });

  it('only Admin-level staff with the permission generate codes for other staff', async () => {
    const colleague = await addUser(harness, { kind: 'staff' });
    const plainStaff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const adminStaff = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: [GENERATE, VIEW] });

    const plain = await signIn(harness, plainStaff, 'admin');
    await expectRefusedAndHintAgrees(plain, colleague.id, 403, 'forbidden');
    // Admin-level staff count as staff targets too.
    await expectRefusedAndHintAgrees(plain, adminStaff.id, 403, 'forbidden');
    expect(await setsOf(colleague.id)).toEqual([]);

    const admin = await signIn(harness, adminStaff, 'admin');
    await expectGeneratedAndHintAgrees(admin, colleague.id);
    await expectGeneratedAndHintAgrees(admin, plainStaff.id);
    expect(await setsOf(colleague.id)).toHaveLength(1);
  });

  it('nobody generates codes for themself, Admin-level staff included', async () => {
    const plainStaff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const adminStaff = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: EVERY_OTHER_PERMISSION.concat(GENERATE) });
    for (const staff of [plainStaff, adminStaff]) {
      const client = await signIn(harness, staff, 'admin');
      await expectRefusedAndHintAgrees(client, staff.id, 403, 'forbidden');
      expect(await setsOf(staff.id)).toEqual([]);
    }
    const refused = await auditEvents('backup_codes.generation_refused');
    expect(refused.map((event) => event.details.reason)).toEqual(['self', 'self']);
  });

  it('an unknown user id answers 404 not_found', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const admin = await signIn(harness, staff, 'admin');
    const unknown = randomUUID();
    expectError(await detail(admin, unknown), 404, 'not_found');
    expectError(await generate(admin, unknown), 404, 'not_found');
    expect(await harness.deps.db.selectFrom('backup_code_sets').select('id').execute()).toEqual([]);
  });

  it('a disabled user answers 409 user_disabled', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    await harness.deps.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', customer.id).execute();
    const admin = await signIn(harness, staff, 'admin');
    await expectRefusedAndHintAgrees(admin, customer.id, 409, 'user_disabled');
    expect(await setsOf(customer.id)).toEqual([]);
    // Enabled again, the same staff member may generate.
    await harness.deps.db.updateTable('users').set({ status: 'active' }).where('id', '=', customer.id).execute();
    await expectGeneratedAndHintAgrees(admin, customer.id);
  });

  it('a malformed id or body answers 400 validation_failed and changes nothing', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    for (const id of ['not-a-uuid', '1', `${customer.id}x`, "1' OR '1'='1"]) {
      const url = encodeURIComponent(id);
      expectError(await detail(admin, url), 400, 'validation_failed');
      expectError(await generate(admin, url), 400, 'validation_failed');
    }
    expectError(await generate(admin, customer.id, { note: 'x'.repeat(501) }), 400, 'validation_failed');
    expectError(await generate(admin, customer.id, { note: 'ok', codes: ['AAAA-AAAA-AAAA-AAAA'] }), 400, 'validation_failed');
    expect(await harness.deps.db.selectFrom('backup_code_sets').select('id').execute()).toEqual([]);
    // The same actor and target with a good request do generate: the refusals above were the input's.
    await expectGeneratedAndHintAgrees(admin, customer.id);
  });

  it('a second factor older than 15 minutes: 401 reauthentication_required until the staff member confirms it again', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    // Kept alive (idle time-out 900 s) while the last second factor grows older than 900 s.
    harness.clock.advance(600);
    expect((await admin.get('/api/admin/me')).statusCode).toBe(200);
    harness.clock.advance(400);
    // The hint ignores step-up: the button is there, the server asks for the second factor.
    const shown = await detail(admin, customer.id);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().can).toMatchObject({ generateBackupCodes: true });
    expectError(await generate(admin, customer.id), 401, 'reauthentication_required');
    expect(await setsOf(customer.id)).toEqual([]);
    // The session is still signed in: only the sensitive action asks again.
    expect((await admin.get('/api/admin/me')).statusCode).toBe(200);

    harness.clock.advance(30);
    const before = admin.cookie('latchkey_admin');
    const confirmed = await admin.post('/api/admin/reauthenticate', { factorId: staff.totpFactorId, code: currentTotp(harness, staff) });
    expect(confirmed.statusCode).toBe(204);
    expect(admin.cookie('latchkey_admin')).not.toBe(before);
    await expectGeneratedAndHintAgrees(admin, customer.id);
    expect(await setsOf(customer.id)).toHaveLength(1);
  });

  it('a new set revokes every unused code of the old one', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    const oldCodes = await expectGeneratedAndHintAgrees(admin, customer.id);
    // One old code is spent before the new set comes.
    expect((await signInWithBackupCode(customer, oldCodes[0]!)).reply.statusCode).toBe(200);

    harness.clock.advance(1);
    const newCodes = await expectGeneratedAndHintAgrees(admin, customer.id);
    const sets = await setsOf(customer.id);
    expect(sets).toHaveLength(2);
    const [oldSet, newSet] = sets;
    expect(oldSet?.revoked_at).not.toBeNull();
    expect(newSet?.revoked_at).toBeNull();
    const status = (await detail(admin, customer.id)).json().twoFactor.backupCodes;
    expect(status).toMatchObject({ remaining: 10, origin: 'staff' });

    const revoked = await auditEvents('backup_codes.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ actor_id: staff.id, target_id: customer.id, outcome: 'success' });
    expect(revoked[0]?.details).toEqual({ setId: oldSet?.id, unusedCodes: 9, replacedBy: newSet?.id });

    // Every old code fails; the throttle (10 failures) is reset by a success halfway.
    for (const code of oldCodes.slice(0, 5)) expectError((await signInWithBackupCode(customer, code)).reply, 401, 'invalid_code');
    const first = await signInWithBackupCode(customer, newCodes[0]!);
    expect(first.reply.statusCode).toBe(200);
    expect(first.reply.json().status).toBe('signed_in');
    for (const code of oldCodes.slice(5)) expectError((await signInWithBackupCode(customer, code)).reply, 401, 'invalid_code');
    const second = await signInWithBackupCode(customer, newCodes[1]!);
    expect(second.reply.statusCode).toBe(200);
    expect((await second.client.get('/api/banking/me/two-factor')).json().backupCodes).toMatchObject({ remaining: 8, origin: 'staff' });
  });

  it('staff-issued codes expire after 7 days', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    const generated = await generate(admin, customer.id, { note: 'ticket 1' });
    expect(generated.statusCode).toBe(201);
    const { codes, expiresAt } = generated.json() as { codes: string[]; expiresAt: string };
    const expiry = new Date(expiresAt).getTime();
    expect(expiry - harness.clock.now().getTime()).toBe(SEVEN_DAYS_IN_SECONDS * 1000);

    // A minute before the end the codes still work…
    harness.clock.set(new Date(expiry - 60_000));
    const beforeExpiry = await signInWithBackupCode(customer, codes[0]!);
    expect(beforeExpiry.offered).toBe(true);
    expect(beforeExpiry.reply.statusCode).toBe(200);

    // …a second after it they do not, and "Backup codes" is no longer offered.
    harness.clock.set(new Date(expiry + 1000));
    const afterExpiry = await signInWithBackupCode(customer, codes[1]!);
    expect(afterExpiry.offered).toBe(false);
    expectError(afterExpiry.reply, 401, 'invalid_code');
    // The customer's TOTP still signs them in.
    harness.clock.advance(30);
    expect((await afterExpiry.client.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) })).statusCode).toBe(200);

    // The staff member's old session has idled out; signed in again, the user page shows no usable set.
    expectError(await detail(admin, customer.id), 401, 'unauthenticated');
    const again = await signIn(harness, staff, 'admin');
    const shown = (await detail(again, customer.id)).json();
    expect(shown.twoFactor.backupCodes).toBeNull();
    expect(shown.can).toMatchObject({ generateBackupCodes: true });
  });

  it('the note, the count, the expiry and who/whom/where are in the audit event backup_codes.generated; no code is', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    expect((await detail(admin, customer.id)).json().can).toMatchObject({ generateBackupCodes: true });
    const note = 'Identity verified by phone call-back, ticket 4711';
    const generated = await generate(admin, customer.id, { note });
    expect(generated.statusCode).toBe(201);
    expect(generated.headers['cache-control']).toBe('no-store');
    const { codes, expiresAt } = generated.json() as { codes: string[]; expiresAt: string };

    const events = await auditEvents('backup_codes.generated');
    expect(events).toHaveLength(1);
    const [event] = events;
    const [set] = await setsOf(customer.id);
    expect(event).toMatchObject({ actor_id: staff.id, target_id: customer.id, outcome: 'success', ip: '127.0.0.1', user_agent: 'latchkey-tests' });
    expect(new Date(event!.at).getTime()).toBe(harness.clock.now().getTime());
    expect(event?.details).toEqual({ setId: set?.id, origin: 'staff', count: 10, expiresAt, note });
    // No set was replaced, so nothing was revoked.
    expect(await auditEvents('backup_codes.revoked')).toEqual([]);

    // The codes appear nowhere but in the reply: not in the audit log, the database or the logs.
    const everything = JSON.stringify({
      audit: await harness.deps.db.selectFrom('audit_events').selectAll().execute(),
      codes: await harness.deps.db.selectFrom('backup_codes').selectAll().execute(),
      logs: harness.logs,
    });
    for (const code of codes) {
      expect(everything).not.toContain(code);
      expect(everything).not.toContain(code.replaceAll('-', ''));
    }
  });

  it("a customer's own recovery codes revoke what is left of the staff-issued set and do not expire", async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, VIEW] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    const staffCodes = await expectGeneratedAndHintAgrees(admin, customer.id);

    const { client, reply } = await signInWithBackupCode(customer, staffCodes[0]!);
    expect(reply.statusCode).toBe(200);
    // Creating codes needs a recent second factor.
    harness.clock.advance(600);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
    harness.clock.advance(400);
    expectError(await client.post('/api/banking/me/backup-codes'), 401, 'reauthentication_required');
    expect((await client.get('/api/banking/me/two-factor')).json().backupCodes).toMatchObject({ remaining: 9, origin: 'staff' });
    // A locked-out customer confirms with another staff-issued code.
    expect((await client.post('/api/banking/reauthenticate', { factorId: 'backup_codes', code: staffCodes[1] })).statusCode).toBe(204);

    const own = await client.post('/api/banking/me/backup-codes');
    expect(own.statusCode).toBe(201);
    expect(own.headers['cache-control']).toBe('no-store');
    const { codes: ownCodes, expiresAt } = own.json() as { codes: string[]; expiresAt: null };
    expect(expiresAt).toBeNull();
    expect(ownCodes).toHaveLength(10);
    expect((await client.get('/api/banking/me/two-factor')).json().backupCodes).toMatchObject({ remaining: 10, origin: 'self', expiresAt: null });

    const revoked = await auditEvents('backup_codes.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ actor_id: customer.id, target_id: customer.id });
    expect(revoked[0]?.details).toMatchObject({ unusedCodes: 8 });

    // What was left of the staff set no longer works; the customer's own codes do, long after 7 days.
    expectError((await signInWithBackupCode(customer, staffCodes[2]!)).reply, 401, 'invalid_code');
    harness.clock.advance(SEVEN_DAYS_IN_SECONDS + 24 * 3600);
    const later = await signInWithBackupCode(customer, ownCodes[0]!);
    expect(later.offered).toBe(true);
    expect(later.reply.statusCode).toBe(200);
    expect((await later.client.get('/api/banking/me/two-factor')).json().backupCodes).toMatchObject({ remaining: 9, origin: 'self', expiresAt: null });
  });
});
