// The `latchkey` command line (SPEC §8) on both engines, run in-process through runCli.
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { lockEmbeddedDatabase } from '../src/adapters/db/embedded-lock.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type ProcessEnvironment, freshProcessEnvironment, runCliCapturing } from '../src/testing/process-environment.js';
import { verifyPassword } from '../src/modules/users/passwords.js';
import { effectivePermissionsOf } from '../src/modules/users/users-repository.js';

describeEachEngine('latchkey CLI', (engine) => {
  let setup: ProcessEnvironment;
  let environment: Record<string, string>;
  let inspect: ProcessEnvironment['inspect'];

  beforeEach(async () => {
    setup = await freshProcessEnvironment(engine, { name: 'cli', logLevel: 'silent' });
    ({ environment, inspect } = setup);
  });
  afterEach(async () => setup.cleanup());

  const cli = (args: string[], stdin = '') => runCliCapturing(environment, args, { stdin });

  it('creates staff, grants, revokes, makes and assigns roles; permissions are the union', async () => {
    expect((await cli(['migrate'])).code).toBe(0);
    const created = await cli(
      ['user', 'create', '--kind', 'staff', '--username', 'Hannah', '--email', 'hannah@bank.test', '--first-name', 'Hannah', '--last-name', 'Desk', '--grant', 'users.view', '--password-stdin'],
      'a long and unusual passphrase\n',
    );
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created staff Hannah');
    expect((await cli(['grant', '--username', 'hannah', 'audit.view'])).code).toBe(0);
    expect((await cli(['role', 'create', 'Help desk', 'users.generate_lockout_codes'])).code).toBe(0);
    expect((await cli(['role', 'assign', '--username', 'hannah', 'Help desk'])).code).toBe(0);
    expect((await cli(['revoke', '--username', 'hannah', 'users.view'])).code).toBe(0);

    const permissions = await inspect(async ({ db }) => {
      const row = await db
        .selectFrom('users')
        .select((eb) => effectivePermissionsOf(eb.ref('users.id')).as('permissions'))
        .where('username', '=', 'Hannah')
        .executeTakeFirstOrThrow();
      return row.permissions;
    });
    expect(permissions).toEqual(['audit.view', 'users.generate_lockout_codes']);
    const events = await inspect(({ db }) => db.selectFrom('audit_events').select('type').orderBy('id').execute());
    expect(events.map((event) => event.type)).toEqual(['user.created', 'permissions.granted', 'permissions.granted', 'role.created', 'role.assigned', 'permissions.revoked']);
  });

  it('refuses clearly: weak passwords, duplicates, unknown permissions, customers with permissions, bad usage', async () => {
    const create = (username: string, password: string, extra: string[] = []) =>
      cli(['user', 'create', '--kind', 'customer', '--username', username, '--email', `${username}@bank.test`, '--first-name', 'Al', '--last-name', 'Ice', ...extra, '--password-stdin'], password);
    const weak = await create('alice', 'password1234');
    expect(weak.code).toBe(1);
    expect(weak.err).toContain('Enter a valid password');
    expect((await create('alice', 'a long and unusual passphrase')).code).toBe(0);
    const duplicate = await create('ALICE', 'a long and unusual passphrase');
    expect(duplicate.code).toBe(1);
    expect(duplicate.err).toContain('This username is taken');
    const unknown = await cli(['grant', '--username', 'alice', 'users.fly']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('Unknown permission: users.fly');
    const customer = await cli(['grant', '--username', 'alice', 'users.view']);
    expect(customer.code).toBe(1);
    expect(customer.err).toContain('staff only');
    const noStdin = await cli(['user', 'create', '--kind', 'staff', '--username', 'x', '--email', 'x@bank.test', '--first-name', 'X', '--last-name', 'Y']);
    expect(noStdin.code).toBe(2);
    expect(noStdin.err).toContain('--password-stdin');
    expect((await cli(['frobnicate'])).code).toBe(2);
    const customerAdmin = await create('bob', 'a long and unusual passphrase', ['--admin']);
    expect(customerAdmin.code).toBe(1);
  });

  it('seeds the demo users once and prints how to sign in', async () => {
    const seeded = await cli(['seed', '--demo']);
    expect(seeded.code).toBe(0);
    for (const username of ['helpdesk', 'admin', 'viewer', 'alice', 'bob']) expect(seeded.out).toContain(username);
    expect(seeded.out).toMatch(/otpauth:\/\/totp\/Latchkey:alice\?/);
    expect((await cli(['seed', '--demo'])).out).toContain('exist already');
  });

  it('starts a demo seeding that was cut short over again, rather than failing at every later start', async () => {
    // What a first start stopped half-way leaves: the role and the first demo user.
    expect((await cli(['role', 'create', 'Help desk', 'users.generate_lockout_codes', 'users.view', 'audit.view'])).code).toBe(0);
    const first = await cli(
      ['user', 'create', '--kind', 'staff', '--username', 'helpdesk', '--email', 'helpdesk@demo.latchkey.test', '--first-name', 'Hannah', '--last-name', 'Desk', '--password-stdin'],
      'a long and unusual passphrase\n',
    );
    expect(first.code).toBe(0);
    const seeded = await cli(['seed', '--demo']);
    expect(seeded).toMatchObject({ code: 0, err: '' });
    for (const username of ['helpdesk', 'admin', 'viewer', 'alice', 'bob']) expect(seeded.out).toContain(username);
    // The printed password is the one that signs in: the half-made helpdesk was made afresh.
    const helpdeskPassword = /helpdesk .*\n\s+password: (\S+)/.exec(seeded.out)?.[1];
    const helpdesk = await inspect(({ db }) => db.selectFrom('users').select('password_hash').where('username', '=', 'helpdesk').executeTakeFirstOrThrow());
    expect(await verifyPassword(helpdesk.password_hash, helpdeskPassword ?? '')).toBe(true);
    expect((await cli(['seed', '--demo'])).out).toContain('exist already');
  });

  it('audit seal, then audit verify: intact; after rows are edited and deleted behind the triggers, names both and exits 1', async () => {
    const created = await cli(
      ['user', 'create', '--kind', 'staff', '--username', 'hannah', '--email', 'hannah@bank.test', '--first-name', 'Hannah', '--last-name', 'Desk', '--grant', 'users.view', '--password-stdin'],
      'a long and unusual passphrase\n',
    );
    expect(created.code).toBe(0);
    expect((await cli(['grant', '--username', 'hannah', 'audit.view'])).code).toBe(0);
    expect((await cli(['revoke', '--username', 'hannah', 'users.view'])).code).toBe(0);
    expect((await cli(['grant', '--username', 'hannah', 'staff.manage'])).code).toBe(0);

    // Verify only reads: it counts what is not sealed yet and leaves it so.
    expect(await cli(['audit', 'verify'])).toEqual({ code: 0, out: `audit log intact: 0 events, chain head seq 0 hash ${'0'.repeat(64)}; 5 not sealed yet`, err: '' });
    expect(await cli(['audit', 'seal'])).toEqual({ code: 0, out: 'Sealed 5 audit events.', err: '' });
    const intact = await cli(['audit', 'verify']);
    expect(intact.code).toBe(0);
    expect(intact.out).toMatch(/^audit log intact: 5 events, chain head seq 5 hash [0-9a-f]{64}; 0 not sealed yet$/);

    // As a database superuser would: triggers off, one row edited, another deleted.
    await inspect(({ db }) =>
      db.transaction().execute(async (trx) => {
        await sql`ALTER TABLE audit_events DISABLE TRIGGER USER`.execute(trx);
        await sql`UPDATE audit_events SET actor_id = gen_random_uuid() WHERE seq = 2`.execute(trx);
        await sql`DELETE FROM audit_events WHERE seq = 4`.execute(trx);
        await sql`ALTER TABLE audit_events ENABLE TRIGGER USER`.execute(trx);
      }),
    );
    const tampered = await cli(['audit', 'verify']);
    expect(tampered.code).toBe(1);
    expect(tampered.out.split('\n')).toEqual([
      'audit log TAMPERED: event seq 2 (id 2) was changed',
      '  event seq 4 is missing (deleted), before event seq 5 (id 5)',
      expect.stringMatching(/^2 problems in 4 sealed events, chain head seq 5 hash [0-9a-f]{64}; 0 not sealed yet$/),
    ]);
    expect((await cli(['audit', 'frobnicate'])).code).toBe(2);
  });

  if (engine === 'pglite') {
    it('refuses to open the embedded database while a server holds it', async () => {
      const lock = lockEmbeddedDatabase(environment.LATCHKEY_DATA_DIR!, 'server');
      try {
        const refused = await cli(['migrate']);
        expect(refused.code).toBe(1);
        expect(refused.err).toMatch(/in use by a running Latchkey server \(pid \d+\)/);
      } finally {
        lock.release();
      }
      expect((await cli(['migrate'])).code).toBe(0);
    });
  }
});
