// No user enumeration (SPEC §3 step 1, §7; SECURITY.md §2.4, §3.4; ASVS 5.0 6.3.8): an unknown
// username, a wrong password, a disabled user, a user whose second factor is locked, and a user
// on the other surface get one and the same reply, do the same work (the same SQL statements,
// one audit row, no session, no notice) and take the same time within noise. Past the password
// step, nothing more is told to someone who lacks a live pending session, i.e. the right password.
//
// The timing test keeps the real argon2id parameters: the hash is what an unknown user must
// pay for too. Its samples are taken in rounds, one request of each case per round in random
// order, so a round's requests share the load of the moment (the machine is shared); each case
// is compared with the wrong password by the differences within rounds: their median (the
// effect) and a Wilcoxon signed-rank test (whether it is more than noise). A case fails only
// when both say so: a real difference the size of the hash (an unknown user skipping the dummy
// hash) is caught every time, and a noisy machine alone does not fail the test. A difference
// of one query (a millisecond) is below that noise; the statements are compared instead.
import type { LightMyRequestResponse } from 'fastify';
import { type KyselyPlugin, sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Harness, type TestUser, TEST_ORIGIN, addUser, currentTotp, startHarness } from '../src/testing/harness.js';

const WRONG_PASSWORD = 'not the password of anyone 3e9a';
const ROUNDS = 50;
const WARM_UP_ROUNDS = 5;
/** Two-sided p < 0.0001: a noisy machine almost never gets this far by chance. */
const SIGNIFICANT_Z = 3.9;
/** Smaller differences are below what this machine can tell from noise in 50 rounds. */
const TOLERANCE_FLOOR_MS = 2;
const TOLERANCE_FRACTION = 0.15;

interface LoginAttempt {
  name: string;
  surface: 'banking' | 'admin';
  username: string;
  password: string;
}

interface Users {
  customer: TestUser;
  disabled: TestUser;
  locked: TestUser;
  staff: TestUser;
}

/** The refusals of the issue, staff on the banking surface and a locked second factor, against the wrong password. */
function refusals({ customer, disabled, locked, staff }: Users): { reference: LoginAttempt; others: LoginAttempt[] } {
  return {
    reference: { name: 'known user, wrong password', surface: 'banking', username: customer.username, password: WRONG_PASSWORD },
    others: [
      { name: 'unknown username', surface: 'banking', username: 'nobody-by-this-name', password: WRONG_PASSWORD },
      { name: 'disabled user, right password', surface: 'banking', username: disabled.username, password: disabled.password },
      { name: 'customer on the admin surface, right password', surface: 'admin', username: customer.username, password: customer.password },
      { name: 'staff on the banking surface, right password', surface: 'banking', username: staff.username, password: staff.password },
      { name: 'second factor locked, wrong password', surface: 'banking', username: locked.username, password: WRONG_PASSWORD },
    ],
  };
}

async function addUsers(harness: Harness): Promise<Users> {
  const customer = await addUser(harness, { kind: 'customer' });
  const disabled = await addUser(harness, { kind: 'customer' });
  await harness.deps.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
  const locked = await addUser(harness, { kind: 'customer' });
  await harness.deps.db
    .updateTable('users')
    .set({ second_factor_failures: 10, second_factor_locked_until: new Date(harness.clock.now().getTime() + 1800_000) })
    .where('id', '=', locked.id)
    .execute();
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.view'] });
  return { customer, disabled, locked, staff };
}

let addressCounter = 0;

/**
 * One login request, straight through inject: no cookie, and each from an address of its own,
 * so per-address rate limits on the login route never answer in place of the password step.
 */
function attempt(harness: Harness, login: LoginAttempt): Promise<LightMyRequestResponse> {
  addressCounter += 1;
  return harness.app.inject({
    method: 'POST',
    url: `/api/${login.surface}/login`,
    headers: { origin: TEST_ORIGIN, 'user-agent': 'latchkey-tests' },
    payload: { username: login.username, password: login.password },
    remoteAddress: `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`,
  });
}

/** What a client sees of a reply, minus what differs per request anyway. */
function visible(reply: LightMyRequestResponse): { status: number; body: string; headers: Record<string, unknown> } {
  const { 'x-request-id': _id, date: _date, ...headers } = reply.headers;
  return { status: reply.statusCode, body: reply.body, headers };
}

/** Every row of a table, as PostgreSQL's text form of the row, in a stable order. */
async function rowsOf(harness: Harness, table: 'users' | 'sessions' | 'notifications'): Promise<string[]> {
  const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(table)} t ORDER BY t::text`.execute(harness.deps.db);
  return rows.rows.map((row) => row.row);
}

/**
 * Records the shape of every statement the app sends from now on (through the one database
 * handle the use cases read from deps): the query tree with each bound value replaced by "?",
 * so two requests doing the same work for different users record the same shapes.
 */
function recordStatements(harness: Harness): string[] {
  const statements: string[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: ({ node }) => {
      statements.push(JSON.stringify(node, function (this: { kind?: unknown }, key: string, value: unknown) {
        return key === 'value' || (key === 'values' && this.kind === 'PrimitiveValueListNode') ? '?' : value;
      }));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  harness.deps.db = harness.deps.db.withPlugin(recorder);
  return statements;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Wilcoxon signed-rank test of paired differences against zero: z by the normal approximation, average ranks for ties. */
function signedRankZ(differences: number[]): number {
  const nonZero = differences.filter((difference) => difference !== 0).sort((a, b) => Math.abs(a) - Math.abs(b));
  const n = nonZero.length;
  if (n === 0) return 0;
  let positiveRankSum = 0;
  let tieCorrection = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && Math.abs(nonZero[end + 1]!) === Math.abs(nonZero[start]!)) end += 1;
    const rank = (start + end) / 2 + 1;
    for (let index = start; index <= end; index += 1) if (nonZero[index]! > 0) positiveRankSum += rank;
    const ties = end - start + 1;
    tieCorrection += (ties ** 3 - ties) / 48;
    start = end + 1;
  }
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieCorrection;
  return (positiveRankSum - mean) / Math.sqrt(variance);
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

describeEachEngine('no user enumeration at the password step', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('every refusal is the same reply, byte for byte, with the same headers and no cookie', async () => {
    const users = await addUsers(harness);
    const { reference, others } = refusals(users);
    const unknownOnAdmin: LoginAttempt = { name: 'unknown username on the admin surface', surface: 'admin', username: 'nobody-by-this-name', password: WRONG_PASSWORD };
    const staffWrongPassword: LoginAttempt = { name: 'staff, wrong password', surface: 'admin', username: users.staff.username, password: WRONG_PASSWORD };

    const expected = visible(await attempt(harness, reference));
    expect(expected.status).toBe(401);
    expect(JSON.parse(expected.body)).toEqual({ error: { code: 'invalid_credentials', message: 'Incorrect username or password.' } });
    expect(expected.headers['set-cookie']).toBeUndefined();
    for (const login of [...others, unknownOnAdmin, staffWrongPassword]) {
      expect({ name: login.name, ...visible(await attempt(harness, login)) }).toEqual({ name: login.name, ...expected });
    }

    // The refusals are real: the same users with the right password on their own surface get in.
    for (const [user, surface] of [[users.customer, 'banking'], [users.locked, 'banking'], [users.staff, 'admin']] as const) {
      const login = await attempt(harness, { name: 'right', surface, username: user.username, password: user.password });
      expect({ user: user.username, status: login.statusCode }).toEqual({ user: user.username, status: 200 });
      expect(login.json().status).toBe('second_factor_required');
    }
  });

  it('every refusal does the same work: the same statements, one password_failed audit row, no session, no notice, the user row untouched', async () => {
    const users = await addUsers(harness);
    const { reference, others } = refusals(users);
    const before = { users: await rowsOf(harness, 'users'), sessions: await rowsOf(harness, 'sessions'), notifications: await rowsOf(harness, 'notifications') };
    const userIds = new Map([users.customer, users.disabled, users.locked, users.staff].map((user) => [user.username, user.id]));
    const statements = recordStatements(harness);
    const statementsOf = new Map<string, string[]>();

    for (const login of [reference, ...others]) {
      const lastId = (await harness.deps.db.selectFrom('audit_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0;
      statements.length = 0;
      expect((await attempt(harness, login)).statusCode).toBe(401);
      statementsOf.set(login.name, [...statements]);
      const written = await harness.deps.db.selectFrom('audit_events').selectAll().where('id', '>', String(lastId)).execute();
      const userId = userIds.get(login.username) ?? null;
      expect({ name: login.name, written: written.map((row) => ({ type: row.type, outcome: row.outcome, actor: row.actor_id, target: row.target_id, surface: (row.details as { surface?: string }).surface })) }).toEqual({
        name: login.name,
        written: [{ type: 'sign_in.password_failed', outcome: 'failure', actor: userId, target: userId, surface: login.surface }],
      });
    }
    // No refusal reads or writes anything the others do not (loading factors, say).
    const expected = statementsOf.get(reference.name)!;
    expect(expected.length).toBeGreaterThanOrEqual(2);
    for (const login of others) expect({ name: login.name, statements: statementsOf.get(login.name) }).toEqual({ name: login.name, statements: expected });
    expect({ users: await rowsOf(harness, 'users'), sessions: await rowsOf(harness, 'sessions'), notifications: await rowsOf(harness, 'notifications') }).toEqual(before);
  });

  it('every refusal takes the time of a wrong password, within noise (argon2id at its real cost)', async () => {
    const { reference, others } = refusals(await addUsers(harness));
    const cases = [reference, ...others];
    const samples = new Map<string, number[]>(cases.map((login) => [login.name, []]));
    for (let round = 0; round < WARM_UP_ROUNDS + ROUNDS; round += 1) {
      for (const login of shuffled(cases)) {
        const started = process.hrtime.bigint();
        const reply = await attempt(harness, login);
        const elapsedInMs = Number(process.hrtime.bigint() - started) / 1e6;
        expect({ name: login.name, status: reply.statusCode }).toEqual({ name: login.name, status: 401 });
        if (round >= WARM_UP_ROUNDS) samples.get(login.name)!.push(elapsedInMs);
      }
    }

    const referenceTimes = samples.get(reference.name)!;
    const referenceMedian = median(referenceTimes);
    const toleranceInMs = Math.max(TOLERANCE_FLOOR_MS, TOLERANCE_FRACTION * referenceMedian);
    const comparisons = others.map((login) => {
      const differences = samples.get(login.name)!.map((time, index) => time - referenceTimes[index]!);
      const effectInMs = median(differences);
      const z = signedRankZ(differences);
      return { name: login.name, medianInMs: median(samples.get(login.name)!), effectInMs, z, tells: Math.abs(z) > SIGNIFICANT_Z && Math.abs(effectInMs) > toleranceInMs };
    });
    console.info(
      `[${engine}] password step timing over ${ROUNDS} rounds; ${reference.name}: median ${referenceMedian.toFixed(1)} ms, tolerance ${toleranceInMs.toFixed(1)} ms\n` +
        comparisons.map((row) => `  ${row.name}: median ${row.medianInMs.toFixed(1)} ms, paired difference ${row.effectInMs.toFixed(2)} ms, z ${row.z.toFixed(2)}`).join('\n'),
    );
    // The hash is the cost that matters: a refusal that skipped it would take a fraction of this.
    expect(referenceMedian).toBeGreaterThan(3 * TOLERANCE_FLOOR_MS);
    expect(comparisons.filter((row) => row.tells).map((row) => row.name)).toEqual([]);
  });
});

describeEachEngine('no enumeration past the password step', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  const verify = (cookie: string | null, body: unknown) =>
    harness.app.inject({
      method: 'POST',
      url: '/api/banking/login/verify',
      headers: { origin: TEST_ORIGIN, 'user-agent': 'latchkey-tests', ...(cookie === null ? {} : { cookie: `latchkey_banking=${cookie}` }) },
      payload: body as object,
    });
  const passwordStep = async (user: TestUser): Promise<string> => {
    const login = await harness.app.inject({
      method: 'POST',
      url: '/api/banking/login',
      headers: { origin: TEST_ORIGIN, 'user-agent': 'latchkey-tests' },
      payload: { username: user.username, password: user.password },
    });
    expect(login.statusCode).toBe(200);
    return /^latchkey_banking=([^;]+)/.exec(String(login.headers['set-cookie']))![1]!;
  };

  it('without a live pending session every answer is the same 401 unauthenticated: none, an unknown token, an expired one', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const locked = await addUser(harness, { kind: 'customer' });
    const expiring = await passwordStep(customer);
    const lockedPending = await passwordStep(locked);
    await harness.deps.db
      .updateTable('users')
      .set({ second_factor_failures: 10, second_factor_locked_until: new Date(harness.clock.now().getTime() + 3600_000) })
      .where('id', '=', locked.id)
      .execute();
    harness.clock.advance(harness.deps.policy.sessions.pendingTimeoutInSeconds + 30);
    const rightCode = { factorId: customer.totpFactorId, code: currentTotp(harness, customer) };

    const expected = visible(await verify(null, rightCode));
    expect(expected.status).toBe(401);
    expect(JSON.parse(expected.body)).toEqual({ error: { code: 'unauthenticated', message: 'Sign in to continue.' } });
    const answers = {
      'an unknown token': visible(await verify('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', rightCode)),
      'an expired pending session, right code': visible(await verify(expiring, rightCode)),
      'an expired pending session of a locked account': visible(await verify(lockedPending, { factorId: locked.totpFactorId, code: '123456' })),
    };
    expect(answers).toEqual({
      'an unknown token': expected,
      'an expired pending session, right code': expected,
      'an expired pending session of a locked account': expected,
    });
  });

  it('a wrong code (401 invalid_code) and a locked account (429) are told only to a live pending session, after the right password', async () => {
    // SPEC §7 names both answers of the verify step. Only someone whose password was right
    // holds a pending session, and the password step's 200 has already told them that much;
    // the lock is not shown at the password step, which answers a locked account as any other.
    const customer = await addUser(harness, { kind: 'customer' });
    const locked = await addUser(harness, { kind: 'customer' });
    await harness.deps.db
      .updateTable('users')
      .set({ second_factor_failures: 10, second_factor_locked_until: new Date(harness.clock.now().getTime() + 3600_000) })
      .where('id', '=', locked.id)
      .execute();
    const customerPending = await passwordStep(customer);
    const lockedPending = await passwordStep(locked);

    const wrong = await verify(customerPending, { factorId: customer.totpFactorId, code: currentTotp(harness, customer) === '000000' ? '111111' : '000000' });
    expect({ status: wrong.statusCode, body: wrong.json() }).toEqual({ status: 401, body: { error: { code: 'invalid_code', message: 'That code is not valid.' } } });
    const refused = await verify(lockedPending, { factorId: locked.totpFactorId, code: currentTotp(harness, locked) });
    expect({ status: refused.statusCode, code: refused.json().error.code }).toEqual({ status: 429, code: 'too_many_attempts' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});
