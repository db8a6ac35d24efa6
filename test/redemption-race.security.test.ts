// SPEC §2: "Redemption is atomic: of many concurrent attempts with one code, across any
// number of server instances, exactly one succeeds." 50 pending sessions of one customer
// send the same backup code at once, through one app and (on PostgreSQL) through two apps
// sharing the database.
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { backupCodeLookup } from '../src/modules/twofactor/backup-codes/code-hashing.js';
import { normalizeBackupCode } from '../src/modules/twofactor/backup-codes/code-format.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { Client, type Harness, type TestUser, addUser, generousRateLimits, signIn, startHarness } from '../src/testing/harness.js';
import { createLogger } from '../src/shared/logger.js';

const ATTEMPTS = 50;

describeEachEngine('redeeming one backup code concurrently', (engine) => {
  let harness: Harness;
  let customer: TestUser;
  let code: string;

  beforeEach(async () => {
    // Throttling out of the way, so every attempt reaches the single-use UPDATE.
    harness = await startHarness(engine, { policy: { throttle: { maxSecondFactorFailures: 100, lockoutInSeconds: 1800 } } });
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes'] });
    customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    const generated = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'race test' });
    expect(generated.statusCode).toBe(201);
    code = (generated.json().codes as string[])[0]!;
  });
  afterEach(async () => harness.close());

  /** A client holding a pending session (password only) of the customer. */
  async function pendingSession(client: Client): Promise<Client> {
    const login = await client.post('/api/banking/login', { username: customer.username, password: customer.password });
    expect(login.statusCode).toBe(200);
    expect(login.json().factors).toContainEqual({ id: 'backup_codes', type: 'backup_codes', label: 'Backup codes' });
    return client;
  }

  const verify = (client: Client) => client.post('/api/banking/login/verify', { factorId: 'backup_codes', code });

  /** Exactly one reply signs in; every other is a refusal, never a second success or a 5xx. */
  function expectExactlyOneSignedIn(replies: LightMyRequestResponse[]): number {
    const winners = replies.flatMap((reply, index) => (reply.statusCode === 200 ? [index] : []));
    expect(winners).toHaveLength(1);
    expect(replies[winners[0]!]!.json()).toMatchObject({ status: 'signed_in', user: { id: customer.id } });
    for (const reply of replies.filter((reply) => reply.statusCode !== 200)) {
      const refusal = { status: reply.statusCode, code: reply.json().error?.code };
      expect([
        { status: 401, code: 'invalid_code' },
        { status: 429, code: 'too_many_attempts' },
      ]).toContainEqual(refusal);
    }
    return winners[0]!;
  }

  /** The database agrees: this code's row spent once, the rest of the set untouched, one redemption audited. */
  async function expectSpentOnce(): Promise<void> {
    const lookup = backupCodeLookup(harness.deps.keys, customer.id, normalizeBackupCode(code)!);
    const rows = await harness.deps.db.selectFrom('backup_codes').select(['lookup', 'used_at']).where('user_id', '=', customer.id).execute();
    expect(rows).toHaveLength(10);
    const used = rows.filter((row) => row.used_at !== null);
    expect(used.map((row) => row.lookup)).toEqual([lookup]);
    const audit = (type: string) =>
      harness.deps.db.selectFrom('audit_events').select(['actor_id', 'target_id', 'details']).where('type', '=', type).execute();
    const redeemed = await audit('backup_codes.redeemed');
    expect(redeemed).toHaveLength(1);
    expect(redeemed[0]).toMatchObject({ actor_id: customer.id, target_id: customer.id, details: { remaining: 9, origin: 'staff' } });
    const signedIn = (await audit('sign_in.succeeded')).filter((event) => event.actor_id === customer.id);
    expect(signedIn).toHaveLength(1);
  }

  /** Only the winner's session is signed in; the others are still pending. */
  async function expectOnlyWinnerSignedIn(clients: Client[], winner: number): Promise<void> {
    const me = await Promise.all(clients.map((client) => client.get('/api/banking/me')));
    expect(me.map((reply) => reply.statusCode)).toEqual(clients.map((_client, index) => (index === winner ? 200 : 401)));
    const status = await clients[winner]!.get('/api/banking/me/two-factor');
    expect(status.json().backupCodes).toMatchObject({ remaining: 9, origin: 'staff' });
  }

  it(`${ATTEMPTS} concurrent redemptions of one code from ${ATTEMPTS} pending sessions: exactly one signs in`, async () => {
    const clients = await Promise.all(Array.from({ length: ATTEMPTS }, () => pendingSession(harness.client())));
    const sessionIds = await harness.deps.db.selectFrom('sessions').select('id').where('user_id', '=', customer.id).where('state', '=', 'pending').execute();
    expect(sessionIds).toHaveLength(ATTEMPTS);

    const replies = await Promise.all(clients.map(verify));
    const winner = expectExactlyOneSignedIn(replies);
    await expectSpentOnce();
    await expectOnlyWinnerSignedIn(clients, winner);
  });

  it.runIf(engine === 'postgres')(
    `${ATTEMPTS} concurrent redemptions spread over two app instances sharing the database: exactly one signs in`,
    async () => {
      const second = harness.database.openAnother();
      const appB = await buildApp({
        deps: { ...harness.deps, db: second.db },
        publicUrl: null,
        logger: createLogger('silent'),
        rateLimit: { limits: generousRateLimits },
      });
      try {
        await appB.ready();
        // Each session is created and used on its own instance, alternating A, B, A, B…
        const clients = await Promise.all(
          Array.from({ length: ATTEMPTS }, (_unused, index) => pendingSession(index % 2 === 0 ? harness.client() : new Client(appB))),
        );
        // One instance sees what the other wrote: a session made on B is known to A's database handle.
        const pending = await harness.deps.db.selectFrom('sessions').select('id').where('user_id', '=', customer.id).where('state', '=', 'pending').execute();
        expect(pending).toHaveLength(ATTEMPTS);

        const replies = await Promise.all(clients.map(verify));
        const winner = expectExactlyOneSignedIn(replies);
        // Both instances took part and refused: the losers are on A and on B.
        const refusedOn = new Set(replies.flatMap((reply, index) => (index === winner ? [] : [index % 2])));
        expect(refusedOn).toEqual(new Set([0, 1]));
        await expectSpentOnce();
        await expectOnlyWinnerSignedIn(clients, winner);
      } finally {
        await appB.close();
        await second.close();
      }
    },
  );
});
