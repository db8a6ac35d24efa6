// Second-factor throttling per account (SECURITY.md §3.1, PCI DSS v4 8.3.4: at most 10
// consecutive failures, then 30 minutes locked, even for a correct code) and TOTP single use
// within its window (SECURITY.md §4.3, §4.4), over HTTP, on both engines.
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';

const MAX_FAILURES = 10;
const LOCKOUT_SECONDS = 1800;

/** A well-formed six-digit code that no step of the accepted window (±1) would produce. */
function wrongTotp(harness: Harness, user: TestUser, seed = 0): string {
  if (user.totpSecret === null) throw new Error(`${user.username} has no TOTP`);
  const now = harness.clock.now().getTime();
  const valid = new Set([-30, 0, 30].map((offset) => totpCodeAt({ secretBase32: user.totpSecret! }, new Date(now + offset * 1000))));
  for (let candidate = 123_456 + seed * 7919; ; candidate += 1) {
    const code = String(candidate % 1_000_000).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

/** A well-formed backup code (Crockford base32, 16 symbols) that belongs to nobody. */
function wrongBackupCode(index: number): string {
  return `ZZZZ-ZZZZ-ZZZZ-${String(index).padStart(4, '0')}`;
}

async function passwordStep(harness: Harness, user: TestUser, surface: 'banking' | 'admin'): Promise<Client> {
  const client = harness.client();
  const login = await client.post(`/api/${surface}/login`, { username: user.username, password: user.password });
  expect(login.statusCode).toBe(200);
  expect(login.json().status).toBe('second_factor_required');
  return client;
}

function expectError(reply: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: reply.statusCode, code: reply.json().error?.code }).toEqual({ status, code });
}

function retryAfterOf(reply: LightMyRequestResponse): number {
  const header = reply.headers['retry-after'];
  expect(typeof header).toBe('string');
  expect(String(header)).toMatch(/^\d+$/);
  return Number(header);
}

async function auditRows(harness: Harness, userId: string, type: string) {
  const rows = await harness.deps.db
    .selectFrom('audit_events')
    .select(['type', 'actor_id', 'target_id', 'outcome', 'details'])
    .where('target_id', '=', userId)
    .where('type', '=', type)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...row, details: row.details as Record<string, unknown> }));
}

async function generateCodesFor(harness: Harness, target: TestUser): Promise<string[]> {
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'users.view'] });
  const admin = await signIn(harness, staff, 'admin');
  const generated = await admin.post(`/api/admin/users/${target.id}/backup-codes`, { note: 'Identity checked at the branch' });
  expect(generated.statusCode).toBe(201);
  const { codes } = generated.json() as { codes: string[] };
  expect(codes).toHaveLength(10);
  return codes;
}

describeEachEngine('second-factor throttling per account', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('after 10 wrong TOTP codes from several sessions, the 11th attempt gets 429 with Retry-After even with the correct code, until 30 minutes have passed', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const sessions = [
      await passwordStep(harness, customer, 'banking'),
      await passwordStep(harness, customer, 'banking'),
      await passwordStep(harness, customer, 'banking'),
    ];

    for (let attempt = 0; attempt < MAX_FAILURES; attempt += 1) {
      const reply = await sessions[attempt % sessions.length]!.post('/api/banking/login/verify', {
        factorId: customer.totpFactorId,
        code: wrongTotp(harness, customer, attempt),
      });
      expectError(reply, 401, 'invalid_code');
    }

    // The counter belongs to the account: a session that never failed is refused as well.
    harness.clock.advance(30);
    const fresh = await passwordStep(harness, customer, 'banking');
    for (const client of [sessions[0]!, fresh]) {
      const refused = await client.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
      expectError(refused, 429, 'too_many_attempts');
      const retryAfter = retryAfterOf(refused);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_SECONDS);
      expect(retryAfter).toBe(LOCKOUT_SECONDS - 30);
      expect((await client.get('/api/banking/me')).statusCode).toBe(401);
    }

    // One second before the end of the lock-out the correct code is still refused.
    harness.clock.advance(LOCKOUT_SECONDS - 30 - 1);
    const almost = await passwordStep(harness, customer, 'banking');
    const stillLocked = await almost.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expectError(stillLocked, 429, 'too_many_attempts');
    expect(retryAfterOf(stillLocked)).toBe(1);

    // Past the 30 minutes the old pending sessions have expired; a new sign-in works.
    harness.clock.advance(2);
    const expired = await sessions[1]!.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expectError(expired, 401, 'unauthenticated');
    const again = await passwordStep(harness, customer, 'banking');
    const signedIn = await again.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().status).toBe('signed_in');
    expect((await again.get('/api/banking/me')).statusCode).toBe(200);

    const failed = await auditRows(harness, customer.id, 'second_factor.failed');
    expect(failed.map((row) => row.details.consecutiveFailures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const row of failed) {
      expect(row).toMatchObject({ actor_id: customer.id, outcome: 'failure', details: { factor: 'totp', purpose: 'sign_in' } });
    }
    const locked = await auditRows(harness, customer.id, 'second_factor.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ outcome: 'failure', details: { lockedForSeconds: LOCKOUT_SECONDS } });
    expect(await auditRows(harness, customer.id, 'second_factor.refused_locked')).toHaveLength(3);
  });

  it('after 10 wrong backup codes, a correct backup code gets 429, is not spent, and works once the lock-out is over', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const codes = await generateCodesFor(harness, customer);
    const sessions = [await passwordStep(harness, customer, 'banking'), await passwordStep(harness, customer, 'banking')];

    for (let attempt = 0; attempt < MAX_FAILURES; attempt += 1) {
      // Well-formed unknown codes, and one that cannot be a code at all: both count.
      const code = attempt === 3 ? 'not-a-code' : wrongBackupCode(attempt);
      const reply = await sessions[attempt % 2]!.post('/api/banking/login/verify', { factorId: 'backup_codes', code });
      expectError(reply, 401, 'invalid_code');
    }

    const refused = await sessions[0]!.post('/api/banking/login/verify', { factorId: 'backup_codes', code: codes[0] });
    expectError(refused, 429, 'too_many_attempts');
    const retryAfter = retryAfterOf(refused);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_SECONDS);
    // TOTP is locked too: the lock is on the account's second factor, not on one device.
    harness.clock.advance(30);
    expectError(
      await sessions[1]!.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) }),
      429,
      'too_many_attempts',
    );

    harness.clock.advance(LOCKOUT_SECONDS + 1);
    const again = await passwordStep(harness, customer, 'banking');
    const signedIn = await again.post('/api/banking/login/verify', { factorId: 'backup_codes', code: codes[0] });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().status).toBe('signed_in');
    const status = await again.get('/api/banking/me/two-factor');
    expect(status.json().backupCodes).toMatchObject({ remaining: 9, origin: 'staff' });

    const failed = await auditRows(harness, customer.id, 'second_factor.failed');
    expect(failed).toHaveLength(MAX_FAILURES);
    for (const row of failed) expect(row.details).toMatchObject({ factor: 'backup_codes' });
    expect(await auditRows(harness, customer.id, 'second_factor.locked')).toHaveLength(1);
    expect(await auditRows(harness, customer.id, 'backup_codes.redeemed')).toHaveLength(1);
  });

  it('a success resets the count: 9 failures, 1 success, then 9 more failures are still allowed', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const failNineTimes = async () => {
      const sessions = [await passwordStep(harness, customer, 'banking'), await passwordStep(harness, customer, 'banking')];
      for (let attempt = 0; attempt < MAX_FAILURES - 1; attempt += 1) {
        const reply = await sessions[attempt % 2]!.post('/api/banking/login/verify', {
          factorId: customer.totpFactorId,
          code: wrongTotp(harness, customer, attempt),
        });
        expectError(reply, 401, 'invalid_code');
      }
    };

    await failNineTimes();
    await signIn(harness, customer, 'banking');
    await failNineTimes();
    // Without the reset this would be the 19th failure in a row and refused with 429.
    const last = await signIn(harness, customer, 'banking');
    expect((await last.get('/api/banking/me')).statusCode).toBe(200);

    const failed = await auditRows(harness, customer.id, 'second_factor.failed');
    expect(failed.map((row) => row.details.consecutiveFailures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await auditRows(harness, customer.id, 'second_factor.locked')).toHaveLength(0);
  });

  it('reauthentication shares the counter with sign-in', async () => {
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.view'] });
    const admin = await signIn(harness, staff, 'admin');

    for (let attempt = 0; attempt < MAX_FAILURES / 2; attempt += 1) {
      const pending = await passwordStep(harness, staff, 'admin');
      expectError(await pending.post('/api/admin/login/verify', { factorId: staff.totpFactorId, code: wrongTotp(harness, staff, attempt) }), 401, 'invalid_code');
      expectError(await admin.post('/api/admin/reauthenticate', { factorId: staff.totpFactorId, code: wrongTotp(harness, staff, attempt + 50) }), 401, 'invalid_code');
    }

    harness.clock.advance(30);
    const reauth = await admin.post('/api/admin/reauthenticate', { factorId: staff.totpFactorId, code: currentTotp(harness, staff) });
    expectError(reauth, 429, 'too_many_attempts');
    expect(retryAfterOf(reauth)).toBeGreaterThan(0);
    expect(retryAfterOf(reauth)).toBeLessThanOrEqual(LOCKOUT_SECONDS);
    const pending = await passwordStep(harness, staff, 'admin');
    expectError(await pending.post('/api/admin/login/verify', { factorId: staff.totpFactorId, code: currentTotp(harness, staff) }), 429, 'too_many_attempts');
    // The refused step-up changed nothing: the signed-in session is still signed in.
    expect((await admin.get('/api/admin/me')).statusCode).toBe(200);

    const failed = await auditRows(harness, staff.id, 'second_factor.failed');
    expect(failed.map((row) => row.details.purpose).sort()).toEqual([...Array(5).fill('reauthentication'), ...Array(5).fill('sign_in')]);
    expect(failed.at(-1)?.details.consecutiveFailures).toBe(MAX_FAILURES);
    expect(await auditRows(harness, staff.id, 'second_factor.locked')).toHaveLength(1);

    harness.clock.advance(LOCKOUT_SECONDS + 1);
    const after = await signIn(harness, staff, 'admin');
    harness.clock.advance(30);
    expect((await after.post('/api/admin/reauthenticate', { factorId: staff.totpFactorId, code: currentTotp(harness, staff) })).statusCode).toBe(204);
  });
});

describeEachEngine('TOTP codes are single use within a ±1 step window', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  const verifyWith = async (user: TestUser, code: string) => {
    const client = await passwordStep(harness, user, 'banking');
    return client.post('/api/banking/login/verify', { factorId: user.totpFactorId, code });
  };

  it('a code already used in its time step is refused with invalid_code and audited as reused', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    harness.clock.advance(30);
    const code = currentTotp(harness, customer);
    expect((await verifyWith(customer, code)).statusCode).toBe(200);

    const replay = await verifyWith(customer, code);
    expectError(replay, 401, 'invalid_code');
    const reused = await auditRows(harness, customer.id, 'second_factor.totp_reused');
    expect(reused).toHaveLength(1);
    expect(reused[0]).toMatchObject({ actor_id: customer.id, outcome: 'failure', details: { factorId: customer.totpFactorId, purpose: 'sign_in' } });

    // The previous step's code is inside the drift window, but older than the one used.
    const previous = totpCodeAt({ secretBase32: customer.totpSecret! }, new Date(harness.clock.now().getTime() - 30_000));
    expectError(await verifyWith(customer, previous), 401, 'invalid_code');
    expect(await auditRows(harness, customer.id, 'second_factor.totp_reused')).toHaveLength(2);

    // The next step brings a new code that works.
    harness.clock.advance(30);
    expect((await verifyWith(customer, currentTotp(harness, customer))).statusCode).toBe(200);
  });

  it('refuses codes two steps away and accepts codes one step away', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const codeAt = (offsetInSeconds: number) =>
      totpCodeAt({ secretBase32: customer.totpSecret! }, new Date(harness.clock.now().getTime() + offsetInSeconds * 1000));

    harness.clock.advance(300);
    expectError(await verifyWith(customer, codeAt(-60)), 401, 'invalid_code');
    expectError(await verifyWith(customer, codeAt(60)), 401, 'invalid_code');
    // A mismatch, not a replay.
    expect(await auditRows(harness, customer.id, 'second_factor.totp_reused')).toHaveLength(0);
    expect(await auditRows(harness, customer.id, 'second_factor.failed')).toHaveLength(2);

    expect((await verifyWith(customer, codeAt(-30))).statusCode).toBe(200);
    harness.clock.advance(300);
    expect((await verifyWith(customer, codeAt(30))).statusCode).toBe(200);

    const stored = await sql<{ last_used_step: number }>`SELECT last_used_step FROM factors WHERE id = ${customer.totpFactorId}`.execute(harness.deps.db);
    expect(stored.rows[0]?.last_used_step).toBe(Math.floor(harness.clock.now().getTime() / 30_000) + 1);
  });
});
