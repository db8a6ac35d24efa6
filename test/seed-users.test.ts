// `latchkey seed --users N` (issue #6) and the admin search over what it makes, on both
// engines: the promised shares, the credentials file, sign-in with the shared secrets, and
// keyset paging that shows every matching user exactly once, in order.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { searchUsers } from '../src/modules/admin/search-users.js';
import { type BulkSeedResult, seedUsers } from '../src/modules/seed/seed-users.js';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';
import type { Database } from '../src/adapters/db/database.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Harness, type TestUser, addUser, signIn, startHarness } from '../src/testing/harness.js';
import { type ProcessEnvironment, freshProcessEnvironment, runCliCapturing } from '../src/testing/process-environment.js';

describeEachEngine('latchkey seed --users', (engine) => {
  let setup: ProcessEnvironment;
  let environment: Record<string, string>;
  let folder: string;
  let inspect: ProcessEnvironment['inspect'];

  beforeEach(async () => {
    setup = await freshProcessEnvironment(engine, { name: 'seed-users', logLevel: 'silent' });
    ({ environment, folder, inspect } = setup);
  });
  afterEach(async () => setup.cleanup());

  const cli = (args: string[], extra: { status?: string[]; environment?: Record<string, string> } = {}) =>
    runCliCapturing({ ...environment, ...extra.environment }, args, extra.status === undefined ? {} : { status: extra.status });

  it('creates the users with the promised shares, prints the password once and keeps the rest in an owner-only file', async () => {
    const codesOut = join(folder, 'bulk.json');
    const seeded = await cli(['seed', '--users', '500', '--codes-out', codesOut]);
    expect(seeded.code).toBe(0);
    const password = /password, the same for all \(benchmarks only\): (\S+)/.exec(seeded.out)?.[1];
    expect(password).toMatch(/^bulk-/);
    expect(seeded.out).toMatch(/^Created 500 bulk users in \d+\.\d s: 5 staff \(1 with permissions\), 100 with an authenticator app, 100 with backup codes\.$/m);
    // Not a terminal: one plain line per tenth; here one batch, so one line.
    expect(seeded.err).toMatch(/^seeded 500\/500 users \(100%\) in \d+\.\d s$/);

    expect(statSync(codesOut).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(codesOut, 'utf8')) as { password: string; totpSecret: string; backupCodes: string[]; usernamesWithBackupCodes: string[] };
    expect(file.password).toBe(password);
    expect(file.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(file.backupCodes).toHaveLength(10);
    expect(new Set(file.backupCodes).size).toBe(10);
    expect(file.usernamesWithBackupCodes).toHaveLength(100);
    // Neither the TOTP seed nor a code is printed.
    expect(seeded.out).not.toContain(file.totpSecret);
    for (const code of file.backupCodes) expect(seeded.out).not.toContain(code);

    // A second run adds to the first (new numbers, no collision); on a terminal it draws a bar.
    const status: string[] = [];
    const again = await cli(['seed', '--users', '500'], { status });
    expect(again.code).toBe(0);
    expect(again.err).toBe('');
    expect(status).toEqual([expect.stringMatching(/^\[#{30}\] 100% 500\/500 users \d+\.\d s\n$/)]);
    expect(again.out).toContain('0 with backup codes');
    expect(again.out).not.toContain('bulk.json');

    const { counts, withCodes } = await inspect(async ({ db }) => ({
      counts: await countsOf(db),
      withCodes: await db.selectFrom('users').innerJoin('backup_code_sets', 'backup_code_sets.user_id', 'users.id').select('users.username').execute(),
    }));
    expect(counts).toEqual({ users: 1000, usernames: 1000, staff: 10, grants: 4, totp: 200, sets: 100, codes: 1000, withCodesAndTotp: 100 });
    expect(withCodes.map((row) => row.username).sort()).toEqual([...file.usernamesWithBackupCodes].sort());
  });

  it('refuses bad numbers, codes nobody keeps, and production', async () => {
    for (const args of [
      ['--users', '0'],
      ['--users', '10000001'],
      ['--users', 'many'],
      ['--users', '100', '--with-codes', '5'],
      ['--users', '100', '--with-codes', '21', '--codes-out', join(folder, 'x.json')],
      ['--users', '100', '--demo'],
    ]) {
      const refused = await cli(['seed', ...args]);
      expect({ args, code: refused.code }).toEqual({ args, code: 2 });
    }
    const production = await cli(['seed', '--users', '10'], { environment: { NODE_ENV: 'production' } });
    expect(production.code).toBe(1);
    expect(production.err).toContain('refused with NODE_ENV=production');
  });
});

describeEachEngine('bulk users over HTTP and in the admin search', (engine) => {
  let harness: Harness;
  let seeded: BulkSeedResult;
  beforeEach(async () => {
    harness = await startHarness(engine);
    seeded = await seedUsers(harness.deps, { users: 500, withBackupCodes: 40 });
  });
  afterEach(async () => harness.close());

  async function bulkUser(where: 'with codes' | 'staff with users.view'): Promise<TestUser> {
    let query = harness.deps.db
      .selectFrom('users')
      .innerJoin('factors', 'factors.user_id', 'users.id')
      .select(['users.id', 'users.username', 'factors.id as factor_id'])
      .orderBy('users.username');
    query =
      where === 'with codes'
        ? query.where('users.username', 'in', seeded.usernamesWithBackupCodes)
        : query.where('users.id', 'in', (eb) => eb.selectFrom('user_permissions').select('user_id').where('codename', '=', 'users.view'));
    const row = await query.executeTakeFirstOrThrow();
    return { id: row.id, username: row.username, password: seeded.password, totpSecret: seeded.totpSecret, totpFactorId: row.factor_id };
  }

  it('signs a bulk user in with the shared password and TOTP seed, and others with a shared code, once each', async () => {
    await signIn(harness, await bulkUser('with codes'), 'banking');

    const useCode = async (username: string, code: string) => {
      const client = harness.client();
      expect((await client.post('/api/banking/login', { username, password: seeded.password })).statusCode).toBe(200);
      return client.post('/api/banking/login/verify', { factorId: 'backup_codes', code });
    };
    const [first, second] = seeded.usernamesWithBackupCodes;
    const code = seeded.backupCodes[0]!;
    expect((await useCode(first!, code)).json().status).toBe('signed_in');
    expect((await useCode(first!, code)).statusCode).not.toBe(200);
    // The set is shared, its use is not: the same code still works once for another user.
    expect((await useCode(second!, code)).json().status).toBe('signed_in');
  });

  it('lets seeded staff with users.view search, and pages every match exactly once, in order', async () => {
    const admin = await signIn(harness, await bulkUser('staff with users.view'), 'admin');
    const page = await admin.get('/api/admin/users?q=ma&limit=5');
    expect(page.statusCode).toBe(200);
    expect(page.json().items).toHaveLength(5);

    // Ten people whose last name is the very prefix searched: a page ends among them, so the
    // cursor sits at the start of the last-name range and must still be honoured there.
    for (const firstName of ['Ann', 'Ben', 'Cai', 'Dee', 'Eli', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jo']) {
      await addUser(harness, { kind: 'customer', firstName, lastName: 'Ma', withTotp: false });
    }
    const everyone = await harness.deps.db.selectFrom('users').select(['id', 'username', 'first_name', 'last_name', 'email', 'kind']).execute();
    const sample = everyone.find((user) => user.last_name.includes("'")) ?? everyone[0]!;
    const searches: { q?: string; kind?: 'customer' | 'staff' }[] = [
      {},
      { q: 'ma' },
      { q: 'ma', kind: 'customer' },
      { kind: 'staff' },
      { q: 'jo' },
      { q: sample.last_name.slice(0, 4) },
      { q: sample.email.slice(0, 5) },
      { q: `${sample.first_name} ${sample.last_name.slice(0, 2)}` },
      { q: 'zz' },
    ];
    for (const search of searches) {
      const expected = everyone
        .filter((user) => search.kind === undefined || user.kind === search.kind)
        .filter((user) => words(search.q).every((word) => [user.username, user.first_name, user.last_name, user.email].some((value) => value.toLowerCase().startsWith(word))))
        .sort(byName)
        .map((user) => user.id);
      const shown: string[] = [];
      let cursor: string | undefined;
      do {
        const result = await searchUsers(harness.deps.db, { ...search, limit: 7, cursor });
        shown.push(...result.items.map((item) => item.id));
        cursor = result.nextCursor ?? undefined;
        // A cursor that stops moving would page forever: more rows than expected is enough to fail.
      } while (cursor !== undefined && shown.length <= expected.length);
      expect({ search, shown }).toEqual({ search, shown: expected });
    }
    // The searches above are not vacuous.
    expect(everyone.filter((user) => user.first_name.toLowerCase().startsWith('ma')).length).toBeGreaterThan(20);
  });
});

async function countsOf(db: Database['db']) {
  const count = async (table: 'users' | 'user_permissions' | 'factors' | 'backup_code_sets' | 'backup_codes') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const distinct = await db.selectFrom('users').select((eb) => eb.fn.count(eb.fn('lower', ['username'])).distinct().as('n')).executeTakeFirstOrThrow();
  const staff = await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('kind', '=', 'staff').executeTakeFirstOrThrow();
  const withCodesAndTotp = await db
    .selectFrom('backup_code_sets')
    .innerJoin('factors', 'factors.user_id', 'backup_code_sets.user_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return {
    users: await count('users'),
    usernames: Number(distinct.n),
    staff: Number(staff.n),
    grants: await count('user_permissions'),
    totp: await count('factors'),
    sets: await count('backup_code_sets'),
    codes: await count('backup_codes'),
    withCodesAndTotp: Number(withCodesAndTotp.n),
  };
}

function words(q: string | undefined): string[] {
  return (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
}

/** The admin list's order: last name, first name, id, lower-cased, by code point. */
function byName(a: { last_name: string; first_name: string; id: string }, b: { last_name: string; first_name: string; id: string }): number {
  const key = (user: typeof a) => [user.last_name.toLowerCase(), user.first_name.toLowerCase(), user.id];
  const [left, right] = [key(a), key(b)];
  for (let index = 0; index < 3; index += 1) {
    const order = Buffer.compare(Buffer.from(left[index]!), Buffer.from(right[index]!));
    if (order !== 0) return order;
  }
  return 0;
}
