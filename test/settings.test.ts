// Settings over HTTP (SPEC §4, §7; SECURITY.md §8, §9): profile with the exact messages and
// names of any script, the email change confirmed by a code sent to the new address, the
// password change that ends every session (on two app instances sharing PostgreSQL), the
// list of active sessions, and securing the account after a staff-issued code. Both engines.
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROFILE_MESSAGES } from '../contract/settings.js';
import { buildApp } from '../src/app.js';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';
import { createLogger } from '../src/shared/logger.js';
import { decrypt } from '../src/shared/secrets.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { Client, type Harness, TEST_PASSWORD, type TestUser, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';

const FIRST_NAME = PROFILE_MESSAGES.firstName;
const LAST_NAME = PROFILE_MESSAGES.lastName;
const EMAIL = PROFILE_MESSAGES.email;
const NEW_PASSWORD = 'a quiet lighthouse on granite';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('the exact messages of SPEC §4', () => {
  it('are the SPEC’s words', () => {
    expect(PROFILE_MESSAGES).toEqual({
      firstName: 'First name must have at least 2 characters. Numbers and special characters are not allowed.',
      lastName: 'Last name must have at least 1 character. Numbers and special characters are not allowed.',
      email: 'Enter a valid email',
      updated: 'Your profile has been successfully updated.',
    });
  });
});

describeEachEngine('settings', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  const patchProfile = (client: Client, body: unknown) => client.request('PATCH', '/api/banking/me/profile', body);
  const me = async (client: Client, surface: 'banking' | 'admin' = 'banking') => {
    const reply = await client.get(`/api/${surface}/me`);
    expect(reply.statusCode).toBe(200);
    return reply.json().user as Record<string, unknown>;
  };
  const userRow = (id: string) => harness.deps.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const outbox = (userId: string) =>
    harness.deps.db.selectFrom('notifications').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('kind').execute();
  const auditOf = (userId: string, type: string) =>
    harness.deps.db.selectFrom('audit_events').selectAll().where('target_id', '=', userId).where('type', '=', type).orderBy('id').execute();
  const expectFields = (reply: LightMyRequestResponse, fields: Record<string, string>) => {
    expect(reply.statusCode, reply.body).toBe(400);
    expect(reply.json()).toEqual({ error: { code: 'validation_failed', message: expect.any(String), fields } });
  };
  /** The code as the new mailbox would receive it: opened from the outbox with the server key. */
  const confirmationCodeSentTo = async (userId: string, email: string): Promise<string> => {
    const rows = (await outbox(userId)).filter((row) => row.kind === 'email_confirmation' && row.recipient === email);
    const last = rows.at(-1);
    expect(last?.secret_ciphertext).toEqual(expect.any(String));
    return decrypt(harness.deps.keys.get('notification-secret'), last!.secret_ciphertext!);
  };
  /** Keeps the session alive while its second factor gets older than the step-up window. */
  const letSecondFactorGoStale = async (client: Client) => {
    harness.clock.advance(600);
    await me(client);
    harness.clock.advance(301);
  };
  /** Signs in with a given user agent, so the sessions list has something to tell apart. */
  const signInWith = async (user: TestUser, userAgent: string, surface: 'banking' | 'admin' = 'banking') => {
    const client = harness.client();
    const headers = { 'user-agent': userAgent };
    expect((await client.request('POST', `/api/${surface}/login`, { username: user.username, password: user.password }, headers)).statusCode).toBe(200);
    harness.clock.advance(30);
    const verify = await client.request('POST', `/api/${surface}/login/verify`, { factorId: user.totpFactorId, code: currentTotp(harness, user) }, headers);
    expect(verify.statusCode).toBe(200);
    return client;
  };

  describe('profile', () => {
    it('updates the names and answers with the SPEC’s message; /me follows; audited', async () => {
      const customer = await addUser(harness, { kind: 'customer', firstName: 'Anne', lastName: 'Smith' });
      const client = await signIn(harness, customer, 'banking');
      const reply = await patchProfile(client, { firstName: 'Anne-Marie', lastName: "O'Neil" });
      expect(reply.statusCode, reply.body).toBe(200);
      expect(reply.json()).toEqual({
        user: expect.objectContaining({ id: customer.id, firstName: 'Anne-Marie', lastName: "O'Neil", email: `${customer.username}@example.test`, pendingEmail: null }),
        message: 'Your profile has been successfully updated.',
      });
      expect(await me(client)).toMatchObject({ firstName: 'Anne-Marie', lastName: "O'Neil" });
      const audited = await auditOf(customer.id, 'profile.updated');
      expect(audited).toHaveLength(1);
      expect(audited[0]).toMatchObject({ actor_id: customer.id, outcome: 'success', details: { fields: 'firstName,lastName' } });
    });

    it('trims the names and answers the same message when only one field is sent', async () => {
      const customer = await addUser(harness, { kind: 'customer', firstName: 'Anne', lastName: 'Smith' });
      const client = await signIn(harness, customer, 'banking');
      const reply = await patchProfile(client, { lastName: '  Okafor  ' });
      expect(reply.statusCode).toBe(200);
      expect(reply.json().message).toBe(PROFILE_MESSAGES.updated);
      expect(await userRow(customer.id)).toMatchObject({ first_name: 'Anne', last_name: 'Okafor' });
    });

    it.each([
      ['José', 'García'],
      ['Anne-Marie', "O'Neil"],
      ['Seán', 'O’Brien'],
      ['Mary Ann', 'van der Berg'],
      ['李雷', '王'],
      ['Μαρία', 'Παπαδοπούλου'],
      ['Владимир', 'Ильич-Петров'],
      ['محمد', 'الفارسي'],
      ['अनीता', 'शर्मा'],
      ['さくら', '山田'],
      ['Zoë', 'Ångström'],
      ['Jose\u0301', 'Nun\u0303ez'],
    ])('accepts %s %s', async (firstName, lastName) => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      const reply = await patchProfile(client, { firstName, lastName });
      expect(reply.statusCode, reply.body).toBe(200);
      expect(reply.json().user).toMatchObject({ firstName: firstName.normalize('NFC'), lastName: lastName.normalize('NFC') });
    });

    it.each(['', '   ', 'J', '李', 'John3', 'J@ne', 'Anne_Marie', '-Anne', 'Anne-', 'Anne--Marie', 'Anne  Marie', "O''Neil", 'Anne.', '😀😀', '<b>Bob</b>', 'Ann\u00a0Marie', 'x'.repeat(151)])(
      'refuses the first name %j with the SPEC’s message, changing nothing',
      async (firstName) => {
        const customer = await addUser(harness, { kind: 'customer', firstName: 'Anne', lastName: 'Smith' });
        const client = await signIn(harness, customer, 'banking');
        expectFields(await patchProfile(client, { firstName, lastName: 'Jones' }), { firstName: FIRST_NAME });
        expect(await userRow(customer.id)).toMatchObject({ first_name: 'Anne', last_name: 'Smith' });
      },
    );

    it.each(['', ' ', 'Smith2', 'Sm!th', '.', "'", '-', 'Smith-', '٣', 'Ω1'])('refuses the last name %j with the SPEC’s message', async (lastName) => {
      const customer = await addUser(harness, { kind: 'customer', lastName: 'Smith' });
      const client = await signIn(harness, customer, 'banking');
      expectFields(await patchProfile(client, { lastName }), { lastName: LAST_NAME });
      expect((await userRow(customer.id)).last_name).toBe('Smith');
    });

    it.each(['', 'not-an-email', 'a@', '@example.test', 'a b@example.test', 'anne@example', `${'a'.repeat(250)}@example.test`, 42])(
      'refuses the email %j with "Enter a valid email"',
      async (email) => {
        const customer = await addUser(harness, { kind: 'customer' });
        const client = await signIn(harness, customer, 'banking');
        expectFields(await patchProfile(client, { email }), { email: EMAIL });
        expect((await userRow(customer.id)).pending_email).toBeNull();
      },
    );

    it('gives every broken field its own message at once, and nothing else', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expectFields(await patchProfile(client, { firstName: 'A1', lastName: '#', email: 'nope' }), { firstName: FIRST_NAME, lastName: LAST_NAME, email: EMAIL });
      expectFields(await patchProfile(client, { firstName: 7, lastName: null }), { firstName: FIRST_NAME, lastName: LAST_NAME });
    });

    it('refuses fields that are not part of the profile (role, id, isAdmin) and changes nothing', async () => {
      const customer = await addUser(harness, { kind: 'customer', firstName: 'Anne' });
      const other = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      for (const extra of [{ isAdmin: true }, { kind: 'staff' }, { id: other.id }, { username: 'root' }, { permissions: ['users.view'] }]) {
        const reply = await patchProfile(client, { firstName: 'Bella', ...extra });
        expect(reply.statusCode).toBe(400);
        expect(reply.json().error.code).toBe('validation_failed');
      }
      expect(await userRow(customer.id)).toMatchObject({ first_name: 'Anne', is_admin: false, kind: 'customer', username: customer.username });
      for (const body of [[], null, 'text']) expect([400, 415]).toContain((await patchProfile(client, body)).statusCode);
      expect((await userRow(customer.id)).first_name).toBe('Anne');
    });

    it('authenticates before it validates: without a session, even a broken body is 401', async () => {
      const reply = await harness.client().request('PATCH', '/api/banking/me/profile', { firstName: '1', role: 'admin' });
      expect(reply.statusCode).toBe(401);
      expect(reply.json().error.code).toBe('unauthenticated');
      const password = await harness.client().post('/api/banking/me/password', { currentPassword: '' });
      expect(password.statusCode).toBe(401);
    });

    it('needs the same-origin check like every state change (403 csrf_failed)', async () => {
      const customer = await addUser(harness, { kind: 'customer', firstName: 'Anne' });
      const client = await signIn(harness, customer, 'banking');
      const reply = await client.request('PATCH', '/api/banking/me/profile', { firstName: 'Bella' }, { origin: 'https://evil.example' });
      expect(reply.statusCode).toBe(403);
      expect(reply.json().error.code).toBe('csrf_failed');
      expect((await userRow(customer.id)).first_name).toBe('Anne');
    });

    it('works on the Admin Platform for staff, with the same rules', async () => {
      const staff = await addUser(harness, { kind: 'staff', firstName: 'Sam' });
      const client = await signIn(harness, staff, 'admin');
      const bad = await client.request('PATCH', '/api/admin/me/profile', { firstName: 'S4m' });
      expectFields(bad, { firstName: FIRST_NAME });
      const good = await client.request('PATCH', '/api/admin/me/profile', { firstName: 'Samira' });
      expect(good.statusCode).toBe(200);
      expect(good.json().message).toBe(PROFILE_MESSAGES.updated);
      expect(await me(client, 'admin')).toMatchObject({ firstName: 'Samira' });
      // A banking session cannot change it through the banking path either: surfaces apart.
      expect((await harness.client().request('PATCH', '/api/banking/me/profile', { firstName: 'Eve' })).statusCode).toBe(401);
    });
  });

  describe('changing the email', () => {
    it('takes effect only once the new address confirms with the code sent to it; the old one is told', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const oldEmail = `${customer.username}@example.test`;
      const client = await signIn(harness, customer, 'banking');

      const requested = await patchProfile(client, { email: '  anne.new@example.test ' });
      expect(requested.statusCode, requested.body).toBe(200);
      expect(requested.json()).toEqual({
        user: expect.objectContaining({ email: oldEmail, pendingEmail: 'anne.new@example.test' }),
        message: PROFILE_MESSAGES.updated,
      });
      expect(await me(client)).toMatchObject({ email: oldEmail, pendingEmail: 'anne.new@example.test' });
      expect((await userRow(customer.id)).email).toBe(oldEmail);

      // The outbox: a notice to the old address (no code), the code to the new one (sealed).
      const messages = await outbox(customer.id);
      expect(messages.map((row) => ({ kind: row.kind, recipient: row.recipient, channel: row.channel }))).toEqual([
        { kind: 'email_change_requested', recipient: oldEmail, channel: 'email' },
        { kind: 'email_confirmation', recipient: 'anne.new@example.test', channel: 'email' },
      ]);
      expect(messages[0]!.payload).toEqual({ newEmail: 'anne.new@example.test' });
      expect(messages[0]!.secret_ciphertext).toBeNull();
      const code = await confirmationCodeSentTo(customer.id, 'anne.new@example.test');
      expect(code).toMatch(/^\d{6}$/);
      expect(JSON.stringify(messages[1]!.payload)).not.toContain(code);
      // Only a keyed hash of the code is stored.
      const stored = await userRow(customer.id);
      expect(stored.pending_email_code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(code);

      const wrongCode = code === '000000' ? '111111' : '000000';
      const wrong = await client.post('/api/banking/me/email/confirm', { code: wrongCode });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('invalid_code');
      expect((await userRow(customer.id)).email).toBe(oldEmail);

      const confirmed = await client.post('/api/banking/me/email/confirm', { code: `${code.slice(0, 3)} ${code.slice(3)}` });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      expect(confirmed.json()).toEqual({ email: 'anne.new@example.test', message: 'Your email address is now anne.new@example.test.' });
      expect(await me(client)).toMatchObject({ email: 'anne.new@example.test', pendingEmail: null });
      expect(await userRow(customer.id)).toMatchObject({ pending_email: null, pending_email_code_hash: null, pending_email_expires_at: null });

      // Single use.
      const again = await client.post('/api/banking/me/email/confirm', { code });
      expect(again.statusCode).toBe(401);
      expect(again.json().error.code).toBe('invalid_code');

      expect(await auditOf(customer.id, 'email_change.requested')).toHaveLength(1);
      expect(await auditOf(customer.id, 'email_change.confirmed')).toEqual([
        expect.objectContaining({ outcome: 'success', details: { previousEmail: oldEmail, newEmail: 'anne.new@example.test' } }),
      ]);
      expect(await auditOf(customer.id, 'email_change.code_refused')).toHaveLength(2);
      // The code is nowhere but in the sealed outbox row: not in replies, the audit trail or logs.
      const audit = await harness.deps.db.selectFrom('audit_events').select('details').where('target_id', '=', customer.id).execute();
      expect(JSON.stringify(audit)).not.toContain(code);
      expect(requested.body).not.toContain(code);
      expect(harness.logs.join('\n')).not.toContain(code);
    });

    it('needs a recent second factor (401 reauthentication_required); names alone do not', async () => {
      const customer = await addUser(harness, { kind: 'customer', firstName: 'Anne' });
      const client = await signIn(harness, customer, 'banking');
      await letSecondFactorGoStale(client);

      const stale = await patchProfile(client, { firstName: 'Bella', email: 'bella@example.test' });
      expect(stale.statusCode).toBe(401);
      expect(stale.json().error.code).toBe('reauthentication_required');
      expect(await userRow(customer.id)).toMatchObject({ first_name: 'Anne', pending_email: null });
      expect(await outbox(customer.id)).toEqual([]);

      // The same address again, in another case, is no change: no step-up needed.
      expect((await patchProfile(client, { firstName: 'Bella', email: `${customer.username.toUpperCase()}@EXAMPLE.TEST` })).statusCode).toBe(200);
      expect((await userRow(customer.id)).email).toBe(`${customer.username}@example.test`);

      const step = await client.post('/api/banking/reauthenticate', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
      expect(step.statusCode).toBe(204);
      const fresh = await patchProfile(client, { email: 'bella@example.test' });
      expect(fresh.statusCode).toBe(200);
      expect(fresh.json().user.pendingEmail).toBe('bella@example.test');
    });

    it('lets the code expire after 30 minutes', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expect((await patchProfile(client, { email: 'late@example.test' })).statusCode).toBe(200);
      const code = await confirmationCodeSentTo(customer.id, 'late@example.test');
      // Keep the session alive (idle time-out 15 minutes) while the code ages.
      for (let minute = 0; minute < 30; minute += 10) {
        harness.clock.advance(600);
        await me(client);
      }
      harness.clock.advance(1);
      expect(await me(client)).toMatchObject({ pendingEmail: null });
      const late = await client.post('/api/banking/me/email/confirm', { code });
      expect(late.statusCode).toBe(401);
      expect(late.json().error.code).toBe('invalid_code');
      expect((await userRow(customer.id)).email).toBe(`${customer.username}@example.test`);
    });

    it('allows 5 attempts; after them even the right code is refused', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expect((await patchProfile(client, { email: 'guess@example.test' })).statusCode).toBe(200);
      const code = await confirmationCodeSentTo(customer.id, 'guess@example.test');
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await client.post('/api/banking/me/email/confirm', { code: wrong })).statusCode).toBe(401);
      }
      const right = await client.post('/api/banking/me/email/confirm', { code });
      expect(right.statusCode).toBe(401);
      expect(right.json().error).toMatchObject({ code: 'invalid_code', message: expect.stringMatching(/Change your email again/) });
      expect((await userRow(customer.id)).email).toBe(`${customer.username}@example.test`);
      expect(await me(client)).toMatchObject({ pendingEmail: null });
    });

    it('confirms once when the right code is sent many times at once', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expect((await patchProfile(client, { email: 'race@example.test' })).statusCode).toBe(200);
      const code = await confirmationCodeSentTo(customer.id, 'race@example.test');
      const replies = await Promise.all(Array.from({ length: 4 }, () => client.post('/api/banking/me/email/confirm', { code })));
      expect(replies.filter((reply) => reply.statusCode === 200)).toHaveLength(1);
      expect(replies.filter((reply) => reply.statusCode !== 200).every((reply) => reply.json().error.code === 'invalid_code')).toBe(true);
      expect(await auditOf(customer.id, 'email_change.confirmed')).toHaveLength(1);
    });

    it('replaces an earlier request: only the latest code confirms, and only its address', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expect((await patchProfile(client, { email: 'first@example.test' })).statusCode).toBe(200);
      const first = await confirmationCodeSentTo(customer.id, 'first@example.test');
      expect((await patchProfile(client, { email: 'second@example.test' })).statusCode).toBe(200);
      const second = await confirmationCodeSentTo(customer.id, 'second@example.test');
      if (first !== second) expect((await client.post('/api/banking/me/email/confirm', { code: first })).statusCode).toBe(401);
      expect((await client.post('/api/banking/me/email/confirm', { code: second })).statusCode).toBe(200);
      expect((await userRow(customer.id)).email).toBe('second@example.test');
    });

    it('withdraws a pending change when the current address is asked for again', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expect((await patchProfile(client, { email: 'maybe@example.test' })).statusCode).toBe(200);
      const code = await confirmationCodeSentTo(customer.id, 'maybe@example.test');
      const withdrawn = await patchProfile(client, { email: `${customer.username}@example.test` });
      expect(withdrawn.statusCode).toBe(200);
      expect(withdrawn.json().user.pendingEmail).toBeNull();
      expect((await client.post('/api/banking/me/email/confirm', { code })).statusCode).toBe(401);
      expect((await userRow(customer.id)).email).toBe(`${customer.username}@example.test`);
    });

    it('refuses an empty code with validation_failed', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expectFields(await client.post('/api/banking/me/email/confirm', { code: '  ' }), { code: 'Enter the code.' });
    });
  });

  describe('changing the password', () => {
    it('changes it, ends every session of the user, clears the cookie, notifies and audits', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const first = await signIn(harness, customer, 'banking');
      const second = await signIn(harness, customer, 'banking');
      const pending = harness.client();
      expect((await pending.post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD })).statusCode).toBe(200);

      const reply = await first.post('/api/banking/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
      expect(reply.statusCode, reply.body).toBe(204);
      expect(String(reply.headers['set-cookie'])).toMatch(/^latchkey_banking=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
      expect(first.cookie('latchkey_banking')).toBeUndefined();

      for (const client of [first, second]) expect((await client.get('/api/banking/me')).statusCode).toBe(401);
      harness.clock.advance(30);
      expect((await pending.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) })).statusCode).toBe(401);
      expect(await harness.deps.db.selectFrom('sessions').select('id').where('user_id', '=', customer.id).execute()).toEqual([]);

      const oldPassword = await harness.client().post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD });
      expect(oldPassword.statusCode).toBe(401);
      const newPassword = await harness.client().post('/api/banking/login', { username: customer.username, password: NEW_PASSWORD });
      expect(newPassword.statusCode).toBe(200);

      expect((await outbox(customer.id)).map((row) => row.kind)).toEqual(['password_changed']);
      const audited = await auditOf(customer.id, 'password.changed');
      expect(audited).toEqual([expect.objectContaining({ outcome: 'success', details: { sessionsEnded: 3 } })]);
      expect(JSON.stringify(audited)).not.toContain(NEW_PASSWORD);
      expect(harness.logs.join('\n')).not.toContain(NEW_PASSWORD);
      expect(harness.logs.join('\n')).not.toContain(TEST_PASSWORD);
    });

    it('refuses a wrong current password with 401 invalid_credentials, audited, changing nothing', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      const before = (await userRow(customer.id)).password_hash;
      const reply = await client.post('/api/banking/me/password', { currentPassword: `${TEST_PASSWORD}!`, newPassword: NEW_PASSWORD });
      expect(reply.statusCode).toBe(401);
      expect(reply.json().error.code).toBe('invalid_credentials');
      expect(reply.headers['set-cookie']).toBeUndefined();
      expect((await userRow(customer.id)).password_hash).toBe(before);
      expect((await client.get('/api/banking/me')).statusCode).toBe(200);
      expect(await auditOf(customer.id, 'password.change_refused')).toEqual([
        expect.objectContaining({ outcome: 'failure', details: { reason: 'wrong_current_password' } }),
      ]);
      expect(await outbox(customer.id)).toEqual([]);
    });

    it.each([
      ['too short', 'short pass', /12 characters/],
      ['too long', 'x'.repeat(129), /128 characters/],
      ['common', 'Password123!', /too common/],
      ['the username', 'margaret.okafor2024', /name, username, email/],
      ['the current one', TEST_PASSWORD, /different from your current one/],
    ])('refuses a new password that is %s with "Enter a valid password" and the reason', async (_why, candidate, reason) => {
      const customer = await addUser(harness, { kind: 'customer', username: 'margaret.okafor' });
      const client = await signIn(harness, customer, 'banking');
      const newPassword = candidate === 'margaret.okafor2024' ? `${customer.username}2024` : candidate;
      const reply = await client.post('/api/banking/me/password', { currentPassword: TEST_PASSWORD, newPassword });
      expect(reply.statusCode).toBe(400);
      expect(reply.json().error.code).toBe('validation_failed');
      const message = reply.json().error.fields.newPassword as string;
      expect(message.startsWith('Enter a valid password. ')).toBe(true);
      expect(message).toMatch(reason);
      expect((await client.get('/api/banking/me')).statusCode).toBe(200);
    });

    it('refuses an empty new password with "Enter a valid password"', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const client = await signIn(harness, customer, 'banking');
      expectFields(await client.post('/api/banking/me/password', { currentPassword: TEST_PASSWORD, newPassword: '' }), { newPassword: 'Enter a valid password' });
    });

    it.runIf(engine === 'postgres')('ends sessions on two app instances sharing the database: both refused on their very next request', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const second = harness.database.openAnother();
      const appB = await buildApp({ deps: { ...harness.deps, db: second.db }, publicUrl: null, logger: createLogger('silent') });
      try {
        await appB.ready();
        const onA = await signIn(harness, customer, 'banking');
        // Signed in through instance B.
        const onB = new Client(appB);
        expect((await onB.post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD })).statusCode).toBe(200);
        harness.clock.advance(30);
        expect((await onB.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) })).statusCode).toBe(200);
        expect((await onA.get('/api/banking/me')).statusCode).toBe(200);
        expect((await onB.get('/api/banking/me')).statusCode).toBe(200);

        // The change goes through A; B's session is refused on its very next request, and A's.
        const changed = await onA.post('/api/banking/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
        expect(changed.statusCode).toBe(204);
        const nextOnB = await onB.get('/api/banking/me');
        expect(nextOnB.statusCode).toBe(401);
        expect(nextOnB.json().error.code).toBe('unauthenticated');
        expect((await onB.get('/api/banking/me/sessions')).statusCode).toBe(401);
        expect((await onA.get('/api/banking/me')).statusCode).toBe(401);
        // And the other way round: a change through B ends a session on A.
        const againOnA = await signIn(harness, { ...customer, password: NEW_PASSWORD }, 'banking');
        const againOnB = new Client(appB);
        expect((await againOnB.post('/api/banking/login', { username: customer.username, password: NEW_PASSWORD })).statusCode).toBe(200);
        harness.clock.advance(30);
        expect((await againOnB.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) })).statusCode).toBe(200);
        expect((await againOnB.post('/api/banking/me/password', { currentPassword: NEW_PASSWORD, newPassword: `${NEW_PASSWORD} again` })).statusCode).toBe(204);
        expect((await againOnA.get('/api/banking/me')).statusCode).toBe(401);
      } finally {
        await appB.close();
        await second.close();
      }
    });
  });

  describe('active sessions', () => {
    it('lists the signed-in sessions with device, address and times, marking the current one, never a token or its hash', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const laptop = await signInWith(customer, FIREFOX_LINUX);
      harness.clock.advance(60);
      const phone = await signInWith(customer, SAFARI_IPHONE);
      // A password-only session is not signed in: not listed.
      expect((await harness.client().post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD })).statusCode).toBe(200);
      // Nor is someone else's.
      await signIn(harness, await addUser(harness, { kind: 'customer' }), 'banking');

      const reply = await laptop.get('/api/banking/me/sessions');
      expect(reply.statusCode).toBe(200);
      const { sessions } = reply.json() as { sessions: Record<string, unknown>[] };
      expect(sessions).toHaveLength(2);
      const rows = await harness.deps.db.selectFrom('sessions').selectAll().where('user_id', '=', customer.id).where('state', '=', 'active').execute();
      for (const item of sessions) {
        expect(Object.keys(item).sort()).toEqual(['createdAt', 'current', 'device', 'id', 'ip', 'lastSeenAt']);
        expect(item.ip).toBe('127.0.0.1');
      }
      // The current one first, then the others, the most recently seen first.
      expect(sessions.map((item) => [item.device, item.current])).toEqual([
        ['Firefox on Linux', true],
        ['Safari on iPhone', false],
      ]);
      for (const row of rows) expect(reply.body).not.toContain(row.token_hash);
      expect(reply.body).not.toContain(laptop.cookie('latchkey_banking')!);
      expect(reply.body).not.toContain(phone.cookie('latchkey_banking')!);
      const fromPhone = (await phone.get('/api/banking/me/sessions')).json().sessions as { device: string; current: boolean }[];
      expect(fromPhone.find((item) => item.current)?.device).toBe('Safari on iPhone');
    });

    it('ends one other session, which is refused on its next request; not the current one, nor another user’s', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const stranger = await addUser(harness, { kind: 'customer' });
      const laptop = await signInWith(customer, FIREFOX_LINUX);
      const phone = await signInWith(customer, SAFARI_IPHONE);
      const strangers = await signIn(harness, stranger, 'banking');
      const list = (await laptop.get('/api/banking/me/sessions')).json().sessions as { id: string; current: boolean }[];
      const current = list.find((item) => item.current)!;
      const other = list.find((item) => !item.current)!;
      const strangerSession = ((await strangers.get('/api/banking/me/sessions')).json().sessions as { id: string }[])[0]!;

      const own = await laptop.delete(`/api/banking/me/sessions/${current.id}`);
      expect(own.statusCode).toBe(409);
      expect((await laptop.delete(`/api/banking/me/sessions/${strangerSession.id}`)).statusCode).toBe(404);
      expect((await strangers.get('/api/banking/me')).statusCode).toBe(200);
      expect((await laptop.delete('/api/banking/me/sessions/not-a-uuid')).statusCode).toBe(400);

      expect((await laptop.delete(`/api/banking/me/sessions/${other.id}`)).statusCode).toBe(204);
      expect((await phone.get('/api/banking/me')).statusCode).toBe(401);
      expect((await laptop.get('/api/banking/me')).statusCode).toBe(200);
      expect((await laptop.delete(`/api/banking/me/sessions/${other.id}`)).statusCode).toBe(404);
      expect(await auditOf(customer.id, 'session.ended_by_user')).toHaveLength(1);
    });

    it('ends all other sessions and keeps the current one', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const keep = await signInWith(customer, FIREFOX_LINUX);
      const others = [await signInWith(customer, SAFARI_IPHONE), await signIn(harness, customer, 'banking')];
      const pending = harness.client();
      await pending.post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD });

      const reply = await keep.delete('/api/banking/me/sessions');
      expect(reply.statusCode).toBe(200);
      expect(reply.json()).toEqual({ ended: 3 });
      for (const client of others) expect((await client.get('/api/banking/me')).statusCode).toBe(401);
      expect((await keep.get('/api/banking/me')).statusCode).toBe(200);
      const left = (await keep.get('/api/banking/me/sessions')).json().sessions as { current: boolean }[];
      expect(left).toEqual([expect.objectContaining({ current: true })]);
      expect(await auditOf(customer.id, 'sessions.others_ended_by_user')).toEqual([expect.objectContaining({ details: { ended: 3 } })]);
    });

    it('needs a recent second factor to end sessions', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const phone = await signInWith(customer, SAFARI_IPHONE);
      const laptop = await signInWith(customer, FIREFOX_LINUX);
      const other = ((await laptop.get('/api/banking/me/sessions')).json().sessions as { id: string; current: boolean }[]).find((item) => !item.current)!;
      harness.clock.advance(600);
      await me(phone);
      await me(laptop);
      harness.clock.advance(301);
      for (const reply of [await laptop.delete(`/api/banking/me/sessions/${other.id}`), await laptop.delete('/api/banking/me/sessions')]) {
        expect(reply.statusCode).toBe(401);
        expect(reply.json().error.code).toBe('reauthentication_required');
      }
      expect((await phone.get('/api/banking/me')).statusCode).toBe(200);
      // Listing needs no step-up.
      expect((await laptop.get('/api/banking/me/sessions')).statusCode).toBe(200);
    });
  });

  describe('securing the account after a staff-issued code', () => {
    const staffIssuedCodes = async (customer: TestUser): Promise<string[]> => {
      const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes'] });
      const admin = await signIn(harness, staff, 'admin');
      const generated = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'called the customer back' });
      expect(generated.statusCode).toBe(201);
      return generated.json().codes as string[];
    };
    const signInWithBackupCode = async (customer: TestUser, code: string) => {
      const client = harness.client();
      expect((await client.post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD })).statusCode).toBe(200);
      const verify = await client.post('/api/banking/login/verify', { factorId: 'backup_codes', code });
      expect(verify.statusCode, verify.body).toBe(200);
      return { client, verify };
    };
    const addAuthenticatorApp = async (client: Client) => {
      const enrolled = await client.post('/api/banking/me/two-factor/totp');
      expect(enrolled.statusCode, enrolled.body).toBe(201);
      const { factorId, secret } = enrolled.json() as { factorId: string; secret: string };
      const confirmed = await client.post(`/api/banking/me/two-factor/totp/${factorId}/confirm`, { code: totpCodeAt({ secretBase32: secret }, harness.clock.now()) });
      expect(confirmed.statusCode).toBe(200);
    };

    it('says the account must be secured until a new factor is confirmed and own recovery codes exist', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const [code] = await staffIssuedCodes(customer);
      const { client, verify } = await signInWithBackupCode(customer, code!);
      const owed = { mustSecureAccount: true, accountSecuring: { needsFactor: true, needsRecoveryCodes: true } };
      expect(verify.json().user).toMatchObject(owed);
      expect(await me(client)).toMatchObject(owed);
      expect((await userRow(customer.id)).must_secure_since).not.toBeNull();
      const signedIn = await auditOf(customer.id, 'sign_in.succeeded');
      expect(signedIn.at(-1)!.details).toMatchObject({ factor: 'backup_codes', mustSecureAccount: true });

      harness.clock.advance(30);
      await addAuthenticatorApp(client);
      expect(await me(client)).toMatchObject({ mustSecureAccount: true, accountSecuring: { needsFactor: false, needsRecoveryCodes: true } });

      expect((await client.post('/api/banking/me/backup-codes')).statusCode).toBe(201);
      expect(await me(client)).toMatchObject({ mustSecureAccount: false, accountSecuring: null });
      expect((await userRow(customer.id)).must_secure_since).toBeNull();
      expect(await auditOf(customer.id, 'account.secured')).toHaveLength(1);
      // What is left of the staff-issued set no longer works.
      expect((await client.get('/api/banking/me/two-factor')).json().backupCodes).toMatchObject({ origin: 'self', remaining: 10 });
    });

    it('is satisfied in the other order too: own codes first, then a new factor', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const [code] = await staffIssuedCodes(customer);
      const { client } = await signInWithBackupCode(customer, code!);
      expect((await client.post('/api/banking/me/backup-codes')).statusCode).toBe(201);
      expect(await me(client)).toMatchObject({ mustSecureAccount: true, accountSecuring: { needsFactor: true, needsRecoveryCodes: false } });
      harness.clock.advance(30);
      await addAuthenticatorApp(client);
      expect(await me(client)).toMatchObject({ mustSecureAccount: false, accountSecuring: null });
    });

    it('does not count the factor the user already had, and is not asked after a sign-in with the app or own codes', async () => {
      const customer = await addUser(harness, { kind: 'customer' });
      const [code] = await staffIssuedCodes(customer);
      await signInWithBackupCode(customer, code!);
      // Signing in again with the old authenticator app: still owed (the old device proves nothing new).
      const withApp = await signIn(harness, customer, 'banking');
      expect(await me(withApp)).toMatchObject({ mustSecureAccount: true, accountSecuring: { needsFactor: true, needsRecoveryCodes: true } });

      const other = await addUser(harness, { kind: 'customer' });
      const otherClient = await signIn(harness, other, 'banking');
      expect(await me(otherClient)).toMatchObject({ mustSecureAccount: false, accountSecuring: null, pendingEmail: null });
      const own = (await otherClient.post('/api/banking/me/backup-codes')).json().codes as string[];
      const { verify } = await signInWithBackupCode(other, own[0]!);
      expect(verify.json().user).toMatchObject({ mustSecureAccount: false });
    });

    it('applies to staff on the Admin Platform as well', async () => {
      const staffer = await addUser(harness, { kind: 'staff' });
      const issuer = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: ['users.generate_lockout_codes'] });
      const admin = await signIn(harness, issuer, 'admin');
      const codes = (await admin.post(`/api/admin/users/${staffer.id}/backup-codes`, {})).json().codes as string[];
      const client = harness.client();
      expect((await client.post('/api/admin/login', { username: staffer.username, password: TEST_PASSWORD })).statusCode).toBe(200);
      expect((await client.post('/api/admin/login/verify', { factorId: 'backup_codes', code: codes[0] })).statusCode).toBe(200);
      expect(await me(client, 'admin')).toMatchObject({ mustSecureAccount: true });
    });
  });

  it('documents the settings endpoints in the OpenAPI document', async () => {
    const document = (await harness.client().get('/api/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    for (const surface of ['banking', 'admin']) {
      expect(document.paths[`/api/${surface}/me/profile`]).toHaveProperty('patch');
      expect(document.paths[`/api/${surface}/me/email/confirm`]).toHaveProperty('post');
      expect(document.paths[`/api/${surface}/me/password`]).toHaveProperty('post');
      expect(document.paths[`/api/${surface}/me/sessions`]).toHaveProperty('get');
      expect(document.paths[`/api/${surface}/me/sessions`]).toHaveProperty('delete');
      expect(document.paths[`/api/${surface}/me/sessions/{id}`]).toHaveProperty('delete');
    }
  });
});
