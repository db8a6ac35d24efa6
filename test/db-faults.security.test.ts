// Database faults under load (PostgreSQL only): customers signing in with password + TOTP,
// staff generating backup codes, customers signing in with those codes — while the app's
// connections are killed (pg_terminate_backend) and while a PostgreSQL server of the test's
// own is crashed (`pg_ctl stop -m immediate`) or shut down (`-m fast`) and started again.
// Every reply is a normal one or `503 service_unavailable` with Retry-After, never a 500 nor
// internal text; nothing escapes as an uncaught error; the app serves again by itself once
// the database is back; and no state is half-written (SECURITY §13.4: generic errors, fail
// closed; SPEC §2: one set at a time, each use and each set audited).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue } from '../contract/errors.js';
import { TEST_POSTGRES_URL, testEngines } from '../src/testing/databases.js';
import { timeStepAt, totpCodeAt } from '../src/modules/twofactor/totp/totp.js';
import { type Client, type Harness, type TestUser, addUser, signIn, startHarness } from '../src/testing/harness.js';
import { type PrivatePostgres, findPostgresBinaries, startPrivatePostgres } from '../src/testing/private-postgres.js';
import { type ServerProcess, logLines, startServerProcess } from '../src/testing/server-process.js';

const CODES_PER_SET = 10;
const GENERATE = 'users.generate_lockout_codes';
// Time-outs, lock-outs and caps out of the way: under load with a hand-moved clock, only the
// faults should decide what a request gets.
const LONG = 10 ** 8;
const policy = {
  sessions: { idleTimeoutInSeconds: LONG, absoluteTimeoutInSeconds: LONG, pendingTimeoutInSeconds: LONG, stepUpWindowInSeconds: LONG },
  backupCodes: { perSet: CODES_PER_SET, staffLifetimeInSeconds: LONG, maxSetsPerStaffPerHour: 1_000_000 },
  throttle: { maxSecondFactorFailures: 1_000_000, lockoutInSeconds: 1800 },
};

const skipReason = await whyPostgresFaultsCannotRun();
if (skipReason !== null) console.warn(`db-faults.security.test.ts: PostgreSQL fault tests skipped: ${skipReason}`);
const binaries = findPostgresBinaries();
if (skipReason === null && 'missing' in binaries) console.warn(`db-faults.security.test.ts: stop/restart tests skipped: ${binaries.missing}`);

async function whyPostgresFaultsCannotRun(): Promise<string | null> {
  if (!testEngines.includes('postgres')) return 'LATCHKEY_TEST_ENGINES leaves PostgreSQL out';
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return null;
  } catch (error) {
    return `PostgreSQL at ${TEST_POSTGRES_URL} is unreachable (${(error as Error).message})`;
  }
}

// Nothing may escape the app as an uncaught exception or unhandled rejection (a pg client
// emitting 'error' with no listener would end a real server).
const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);
beforeAll(() => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
afterAll(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

interface Cast {
  signers: TestUser[];
  staff: { user: TestUser; client: Client }[];
  targets: TestUser[];
}

async function cast(harness: Harness): Promise<Cast> {
  const signers = [await addUser(harness, { kind: 'customer' }), await addUser(harness, { kind: 'customer' })];
  const targets = [await addUser(harness, { kind: 'customer' }), await addUser(harness, { kind: 'customer' })];
  const staff = [];
  for (let index = 0; index < 2; index += 1) {
    const user = await addUser(harness, { kind: 'staff', permissions: [GENERATE, 'users.view'] });
    staff.push({ user, client: await signIn(harness, user, 'admin') });
  }
  return { signers, staff, targets };
}

/** Every reply seen under load, and what was wrong with any of them. */
class Tally {
  readonly statuses = new Map<string, number>();
  readonly wrong: string[] = [];

  see(action: string, reply: LightMyRequestResponse): void {
    const key = `${action} ${reply.statusCode}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    const problem = problemWith(reply);
    if (problem !== null) this.wrong.push(`${action}: ${problem}`);
  }
}

// What a database error would let out: driver and server messages, codes, a stack.
const INTERNAL_TEXT = /ECONN|EPIPE|terminat|Connection|timeout|57P0|08006|admin_shutdown|postgres|pg_|stack|\bat \S+ \(/i;

function problemWith(reply: LightMyRequestResponse): string | null {
  // Replies that succeed pass their route's response schema; errors are where text could leak.
  if (reply.statusCode >= 400 && INTERNAL_TEXT.test(reply.body)) return `internal text in ${reply.statusCode} ${reply.body}`;
  if (reply.statusCode === 503) {
    const expected = { error: { code: 'service_unavailable', message: errorCatalogue.service_unavailable.message } };
    if (JSON.stringify(reply.json()) !== JSON.stringify(expected)) return `503 with body ${reply.body}`;
    if (!/^\d+$/.test(String(reply.headers['retry-after']))) return '503 without Retry-After';
    return null;
  }
  return reply.statusCode >= 500 ? `${reply.statusCode} ${reply.body}` : null;
}

/**
 * Customers signing in with password + TOTP, staff generating sets for two customers now and
 * then, those customers signing in with the newest codes; the clock moves one TOTP step a
 * second, and each customer signs in at most once a step (a second time would be a replay).
 */
function startLoad(harness: Harness, people: Cast): { tally: Tally; stop(): Promise<void> } {
  const tally = new Tally();
  const latestCodes = new Map<string, string[]>();
  let running = true;
  const ticker = setInterval(() => harness.clock.advance(30), 1000);
  /** Each step says how long to wait before the next. */
  const loop = async (step: () => Promise<number>) => {
    while (running) await sleep(await step());
  };
  // A down database answers at once: give it the breath a real client would.
  const pauseAfter = (reply: LightMyRequestResponse, otherwise: number) => (reply.statusCode === 503 ? 50 : otherwise);
  const signInWithTotp = (user: TestUser) => {
    let lastStep = -1;
    return async () => {
      const step = timeStepAt(harness.clock.now());
      if (step === lastStep) return 50;
      const client = harness.client();
      const login = await client.post('/api/banking/login', { username: user.username, password: user.password });
      tally.see('login', login);
      if (login.statusCode !== 200) return pauseAfter(login, 5);
      lastStep = step;
      const verify = await client.post('/api/banking/login/verify', { factorId: user.totpFactorId, code: totpCodeAt({ secretBase32: user.totpSecret! }, new Date(step * 30_000)) });
      tally.see('verify totp', verify);
      if (verify.statusCode !== 200) return pauseAfter(verify, 5);
      const me = await client.get('/api/banking/me');
      tally.see('me', me);
      return pauseAfter(me, 5);
    };
  };
  const generate = (client: Client) => async () => {
    const target = people.targets[Math.floor(Math.random() * people.targets.length)]!;
    const reply = await client.post(`/api/admin/users/${target.id}/backup-codes`, { note: 'fault test' });
    tally.see('generate', reply);
    if (reply.statusCode === 201) latestCodes.set(target.id, [...(reply.json().codes as string[])]);
    // Now and then: a set replaced at once would leave no time to use its codes.
    return pauseAfter(reply, 400);
  };
  const redeem = (user: TestUser) => async () => {
    const code = latestCodes.get(user.id)?.shift();
    if (code === undefined) return 50;
    const client = harness.client();
    const login = await client.post('/api/banking/login', { username: user.username, password: user.password });
    tally.see('login', login);
    if (login.statusCode !== 200) return pauseAfter(login, 5);
    const verify = await client.post('/api/banking/login/verify', { factorId: 'backup_codes', code });
    tally.see('verify backup code', verify);
    return pauseAfter(verify, 5);
  };
  const loops = [
    ...people.signers.map((user) => loop(signInWithTotp(user))),
    ...people.staff.map(({ client }) => loop(generate(client))),
    ...people.targets.map((user) => loop(redeem(user))),
  ];
  return {
    tally,
    stop: async () => {
      running = false;
      clearInterval(ticker);
      await Promise.all(loops);
    },
  };
}

/** Password + TOTP against a server process; the signed-in session's cookie. */
async function signInOverHttp(running: ServerProcess, user: { username: string; password: string; secret: string }): Promise<string> {
  const headers = { 'content-type': 'application/json', origin: running.url };
  const login = await fetch(`${running.url}/api/admin/login`, { method: 'POST', headers, body: JSON.stringify({ username: user.username, password: user.password }) });
  const { factors } = (await login.json()) as { factors: { id: string }[] };
  const pending = login.headers.get('set-cookie')!.split(';')[0]!;
  const verify = await fetch(`${running.url}/api/admin/login/verify`, {
    method: 'POST',
    headers: { ...headers, cookie: pending },
    body: JSON.stringify({ factorId: factors[0]!.id, code: totpCodeAt({ secretBase32: user.secret }, new Date()) }),
  });
  expect(verify.status).toBe(200);
  return verify.headers.get('set-cookie')!.split(';')[0]!;
}

/** Polls until the app, not restarted, signs a customer in and generates a set again. */
async function expectServingAgain(harness: Harness, people: Cast, withinMs: number): Promise<void> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < withinMs) {
    try {
      const ready = await harness.app.inject({ method: 'GET', url: '/readyz' });
      if (ready.statusCode !== 200) throw new Error(`readyz ${ready.statusCode}`);
      await signIn(harness, people.signers[0]!, 'banking');
      const generated = await people.staff[0]!.client.post(`/api/admin/users/${people.targets[0]!.id}/backup-codes`, {});
      if (generated.statusCode !== 201) throw new Error(`generate ${generated.statusCode} ${generated.body}`);
      return;
    } catch (error) {
      last = (error as Error).message;
      await sleep(200);
    }
  }
  throw new Error(`not serving ${withinMs} ms after the database came back: ${last}`);
}

async function expectOutageAnswers(harness: Harness): Promise<void> {
  const ready = await harness.app.inject({ method: 'GET', url: '/readyz' });
  expect({ status: ready.statusCode, body: ready.json() }).toEqual({ status: 503, body: { status: 'unavailable' } });
  // Liveness stays up: restarting the process would not bring the database back.
  expect((await harness.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  const login = await harness.client().post('/api/banking/login', { username: 'nobody', password: 'whatever it is' });
  expect(problemWith(login)).toBeNull();
  expect(login.statusCode).toBe(503);
}

/** What no fault may leave behind, read from the database once it is back. */
async function expectNothingHalfWritten(harness: Harness): Promise<void> {
  const { db } = harness.deps;
  const rows = async <T,>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows;

  // At most one active set per user, and a user who ever had a set has exactly one.
  expect(await rows(sql`
    SELECT user_id, count(*) FILTER (WHERE revoked_at IS NULL)::int AS active
    FROM backup_code_sets GROUP BY user_id HAVING count(*) FILTER (WHERE revoked_at IS NULL) <> 1`)).toEqual([]);
  // Every set whole: exactly the configured number of codes, revoked sets included.
  expect(await rows(sql`
    SELECT s.id, count(c.id)::int AS codes FROM backup_code_sets s LEFT JOIN backup_codes c ON c.set_id = s.id
    GROUP BY s.id HAVING count(c.id) <> ${CODES_PER_SET}`)).toEqual([]);
  // Every set has its one generation row, every revoked set its one revocation row, and
  // every generation row its set.
  expect(await rows(sql`
    SELECT s.id,
      (SELECT count(*)::int FROM audit_events a WHERE a.type = 'backup_codes.generated' AND a.details->>'setId' = s.id::text) AS generated,
      (SELECT count(*)::int FROM audit_events a WHERE a.type = 'backup_codes.revoked' AND a.details->>'setId' = s.id::text) AS revoked
    FROM backup_code_sets s
    WHERE (SELECT count(*) FROM audit_events a WHERE a.type = 'backup_codes.generated' AND a.details->>'setId' = s.id::text) <> 1
       OR (SELECT count(*) FROM audit_events a WHERE a.type = 'backup_codes.revoked' AND a.details->>'setId' = s.id::text)
          <> (CASE WHEN s.revoked_at IS NULL THEN 0 ELSE 1 END)`)).toEqual([]);
  expect(await rows(sql`
    SELECT a.id FROM audit_events a WHERE a.type = 'backup_codes.generated'
      AND NOT EXISTS (SELECT 1 FROM backup_code_sets s WHERE s.id::text = a.details->>'setId')`)).toEqual([]);
  // Every used code has its redemption row, and no redemption row lacks its used code.
  expect(await rows(sql`
    SELECT s.id,
      (SELECT count(*)::int FROM backup_codes c WHERE c.set_id = s.id AND c.used_at IS NOT NULL) AS used,
      (SELECT count(*)::int FROM audit_events a WHERE a.type = 'backup_codes.redeemed' AND a.details->>'setId' = s.id::text) AS audited
    FROM backup_code_sets s
    WHERE (SELECT count(*) FROM backup_codes c WHERE c.set_id = s.id AND c.used_at IS NOT NULL)
       <> (SELECT count(*) FROM audit_events a WHERE a.type = 'backup_codes.redeemed' AND a.details->>'setId' = s.id::text)`)).toEqual([]);
  // The user's notices were queued with the changes they tell of.
  const [counts] = await rows<{ staff_sets: number; issued_notices: number; used_codes: number; used_notices: number }>(sql`
    SELECT (SELECT count(*)::int FROM backup_code_sets WHERE origin = 'staff') AS staff_sets,
           (SELECT count(*)::int FROM notifications WHERE kind = 'backup_codes_issued_by_staff') AS issued_notices,
           (SELECT count(*)::int FROM backup_codes WHERE used_at IS NOT NULL) AS used_codes,
           (SELECT count(*)::int FROM notifications WHERE kind = 'backup_code_used') AS used_notices`);
  expect(counts!.issued_notices).toBe(counts!.staff_sets);
  expect(counts!.used_notices).toBe(counts!.used_codes);
  // Sessions: signed in exactly when a second factor was proved, and never more signed-in
  // sessions for a user than sign-ins in the audit trail.
  expect(await rows(sql`SELECT id, state FROM sessions WHERE (state = 'active') <> (second_factor_at IS NOT NULL)`)).toEqual([]);
  expect(await rows(sql`
    SELECT s.user_id, count(*)::int AS active FROM sessions s WHERE s.state = 'active' GROUP BY s.user_id
    HAVING count(*) > (SELECT count(*) FROM audit_events a WHERE a.type = 'sign_in.succeeded' AND a.actor_id = s.user_id)`)).toEqual([]);
}

function expectCleanRun(harness: Harness, tally: Tally, during: { unavailable: boolean }): void {
  const unhandled = harness.logs.filter((line) => line.includes('"unhandled error"'));
  expect({ wrongReplies: tally.wrong, escaped: escaped.map(String), unhandled }).toEqual({ wrongReplies: [], escaped: [], unhandled: [] });
  // The load did its work around the fault: sign-ins, generations and redemptions all went through.
  for (const done of ['verify totp 200', 'generate 201', 'verify backup code 200']) expect(tally.statuses.get(done) ?? 0, done).toBeGreaterThan(0);
  if (during.unavailable) expect([...tally.statuses.keys()].some((key) => key.endsWith(' 503'))).toBe(true);
}

describe.skipIf(skipReason !== null)('database faults: the app’s connections terminated under load [postgres]', () => {
  let harness: Harness;
  const applicationName = `latchkey_faults_${randomBytes(6).toString('hex')}`;
  afterEach(async () => harness?.close());

  /** Only this app's backends, never those of the tests running beside it. */
  async function terminateAppBackends(): Promise<number> {
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
      const result = await admin.query<{ terminated: number }>(
        'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      return result.rows[0]!.terminated;
    } finally {
      await admin.end();
    }
  }

  it('answers normally or 503, never crashes, serves again at once, and leaves nothing half-written', async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set('application_name', applicationName);
    harness = await startHarness('postgres', { policy, postgresUrl: url.toString() });
    const people = await cast(harness);
    const load = startLoad(harness, people);
    let terminated = 0;
    try {
      await sleep(1500);
      for (let round = 0; round < 5; round += 1) {
        terminated += await terminateAppBackends();
        await sleep(600);
      }
    } finally {
      await load.stop();
    }
    expect(terminated).toBeGreaterThan(0);
    await expectServingAgain(harness, people, 5000);
    expectCleanRun(harness, load.tally, { unavailable: false });
    await expectNothingHalfWritten(harness);
  });
});

// Found by the load above as an occasional 500 `deadlock detected`: a redemption took the
// set (FOR SHARE) and then the user's row, a generation the user's row and then the set.
// A trigger of the test's own schema holds the redemption for a second between the two, so
// that the generation comes in between for certain; both sides are the real code.
describe.skipIf(skipReason !== null)('redeeming a code while a generation replaces the set [postgres]', () => {
  let harness: Harness;
  afterEach(async () => harness?.close());

  it('one waits for the other: no deadlock, the code is used and the set then replaced', async () => {
    const applicationName = `latchkey_locks_${randomBytes(6).toString('hex')}`;
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set('application_name', applicationName);
    harness = await startHarness('postgres', { policy, postgresUrl: url.toString() });
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE] });
    const customer = await addUser(harness, { kind: 'customer' });
    const admin = await signIn(harness, staff, 'admin');
    const first = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, {});
    expect(first.statusCode).toBe(201);
    const pending = harness.client();
    expect((await pending.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);

    await sql`CREATE FUNCTION hold_the_redemption() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$`.execute(harness.deps.db);
    await sql`CREATE TRIGGER hold_the_redemption BEFORE UPDATE OF used_at ON backup_codes
      FOR EACH ROW EXECUTE FUNCTION hold_the_redemption()`.execute(harness.deps.db);
    const redemption = pending.post('/api/banking/login/verify', { factorId: 'backup_codes', code: (first.json().codes as string[])[0] });
    await waitUntil(applicationName, 'PgSleep');
    const generation = admin.post(`/api/admin/users/${customer.id}/backup-codes`, {});

    const [redeemed, generated] = await Promise.all([redemption, generation]);
    expect([redeemed.statusCode, generated.statusCode]).toEqual([200, 201]);
    expect(harness.logs.filter((line) => line.includes('"unhandled error"'))).toEqual([]);
    const sets = await harness.deps.db
      .selectFrom('backup_code_sets as s')
      .select(['s.revoked_at', sql<number>`(SELECT count(*)::int FROM backup_codes c WHERE c.set_id = s.id AND c.used_at IS NOT NULL)`.as('used')])
      .where('s.user_id', '=', customer.id)
      .orderBy('s.created_at')
      .orderBy('s.revoked_at')
      .execute();
    expect(sets.map((set) => ({ revoked: set.revoked_at !== null, used: set.used }))).toEqual([
      { revoked: true, used: 1 },
      { revoked: false, used: 0 },
    ]);
  });

  async function waitUntil(applicationName: string, waitEvent: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const waiting = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${applicationName} AND wait_event = ${waitEvent}`.execute(harness.deps.db);
      if (waiting.rows[0]!.n > 0) return;
      await sleep(10);
    }
    throw new Error(`no backend of the app waited on ${waitEvent}`);
  }
});

describe.skipIf(skipReason !== null || 'missing' in binaries)('database faults: PostgreSQL stopped and started again under load [private server]', () => {
  let server: PrivatePostgres;
  let harness: Harness | null = null;
  let process_: ServerProcess | null = null;
  beforeAll(async () => {
    if ('bin' in binaries) server = await startPrivatePostgres(binaries.bin);
  }, 120_000);
  afterAll(async () => server?.destroy());
  afterEach(async () => {
    process_?.child.kill('SIGKILL');
    await process_?.exited;
    await harness?.close();
    harness = null;
    process_ = null;
  });

  for (const mode of ['immediate', 'fast'] as const) {
    it(`pg_ctl stop -m ${mode}: 503 while down, serving again within seconds of the restart, nothing half-written`, async () => {
      const app = await startHarness('postgres', { policy, postgresUrl: server.url });
      harness = app;
      const people = await cast(app);
      const load = startLoad(app, people);
      try {
        await sleep(1500);
        await server.stop(mode);
        await sleep(1000);
        await expectOutageAnswers(app);
        await server.start();
        await sleep(1500);
      } finally {
        await load.stop();
        // Whatever failed above, the server must be up for the next test and the clean-up.
        await server.start().catch(() => undefined);
      }
      await expectServingAgain(app, people, 5000);
      expectCleanRun(app, load.tally, { unavailable: true });
      await expectNothingHalfWritten(app);
    }, 120_000);
  }

  it('the real server process, with its background workers, outlives a crash of PostgreSQL and serves again by itself', async () => {
    const schema = `process_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = new URL(server.url);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const running = await startServerProcess({
      DATABASE_URL: url.toString(),
      LATCHKEY_SECRET: 'db-faults-test-secret-0123456789-0123456789',
      LATCHKEY_DEMO: 'true',
      LATCHKEY_LOG_LEVEL: 'warn',
    });
    process_ = running;
    const [, password, totpSecret] = /helpdesk .*\n\s+password: (\S+)\s+TOTP secret: (\S+)/.exec(running.output()) ?? [];
    const login = () =>
      fetch(`${running.url}/api/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: running.url },
        body: JSON.stringify({ username: 'helpdesk', password }),
      }).catch((error: unknown) => {
        throw new Error(`the server did not answer (${String(error)}); exit code ${running.child.exitCode}:\n${running.output().slice(-3000)}`);
      });
    expect((await login()).status).toBe(200);
    const session = await signInOverHttp(running, { username: 'helpdesk', password: password!, secret: totpSecret! });

    // Requests in flight at the crash: a pg client that loses its server while checked out
    // emits an error that would end the process if nothing listened.
    let loading = true;
    const replies: number[] = [];
    const loops = Array.from({ length: 6 }, async () => {
      while (loading) {
        const reply = await fetch(`${running.url}/api/admin/me`, { headers: { cookie: session } }).catch(() => null);
        replies.push(reply?.status ?? 0);
        await reply?.arrayBuffer();
      }
    });
    try {
      await sleep(500);
      await server.stop('immediate');
      const during = await login();
      expect({ status: during.status, body: await during.json(), retryAfter: during.headers.get('retry-after') }).toEqual({
        status: 503,
        body: { error: { code: 'service_unavailable', message: errorCatalogue.service_unavailable.message } },
        retryAfter: expect.stringMatching(/^\d+$/),
      });
      expect((await fetch(`${running.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      // Long enough for the notification worker and the audit sealer to fail a few rounds.
      await sleep(2500);
    } finally {
      await server.start();
    }
    await sleep(500);
    loading = false;
    await Promise.all(loops);
    expect(replies.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(replies.filter((status) => status === 503).length).toBeGreaterThan(0);
    const backAt = Date.now();
    while ((await fetch(`${running.url}/readyz`)).status !== 200) {
      expect(Date.now() - backAt).toBeLessThan(5000);
      await sleep(100);
    }
    expect((await login()).status).toBe(200);
    expect(running.child.exitCode).toBeNull();
    expect(logLines(running.output()).filter((line) => (line.level ?? 0) >= 50)).toEqual([]);

    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  }, 120_000);
});
