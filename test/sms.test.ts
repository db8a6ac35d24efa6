// SMS codes as a second factor (SPEC §3, §4; SECURITY §2.5, §3.2, §3.3, §5) over HTTP, on both
// engines: the phone is verified by a code before it becomes a factor; codes are 6 digits,
// valid for at most 10 minutes, once, only the latest, bound to the session they were sent
// for, and kept only as an HMAC; texts are limited per account and per hour; asking for a new
// code never resets the failure count; a policy switch turns SMS off. Codes are read as the
// phone would get them: from the outbox, opened with the delivery key, or delivered through
// the real delivery round to a local HTTP receiver standing in for the gateway.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotificationTransport } from '../src/adapters/notify/notification-transport.js';
import { deliverDueNotifications } from '../src/modules/notifications/deliver-notifications.js';
import { createLogger } from '../src/shared/logger.js';
import { decrypt } from '../src/shared/secrets.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, addUser, signIn, startHarness } from '../src/testing/harness.js';

const PHONE = '+447700900123';

function expectError(reply: LightMyRequestResponse, status: number, code: string): void {
  expect({ status: reply.statusCode, code: reply.json().error?.code }).toEqual({ status, code });
}

describeEachEngine('SMS codes', (engine) => {
  let harness: Harness;
  const start = async (sms: { enabled: boolean; maxPerHour: number } = { enabled: true, maxPerHour: 5 }) => {
    harness = await startHarness(engine, { policy: { sms } });
  };
  afterEach(async () => harness.close());

  const failuresOf = async (userId: string) =>
    harness.deps.db.selectFrom('users').select(['second_factor_failures', 'second_factor_locked_until']).where('id', '=', userId).executeTakeFirstOrThrow();
  const smsNotificationIds = async () =>
    new Set((await harness.deps.db.selectFrom('notifications').select('id').where('kind', '=', 'sms_code').execute()).map((row) => row.id));

  /** Posts, then opens the one text the request queued, as the phone would read it. */
  const postAndReadCode = async (client: Client, path: string, body: unknown): Promise<{ reply: LightMyRequestResponse; code: string | null; to: string | null }> => {
    const before = await smsNotificationIds();
    const reply = await client.post(path, body);
    const fresh = (await harness.deps.db.selectFrom('notifications').selectAll().where('kind', '=', 'sms_code').execute()).filter((row) => !before.has(row.id));
    expect(fresh.length).toBeLessThanOrEqual(1);
    const [row] = fresh;
    if (row === undefined) return { reply, code: null, to: null };
    expect(row.channel).toBe('sms');
    expect(row.payload).toEqual({});
    return { reply, code: decrypt(harness.deps.keys.get('notification-secret'), row.secret_ciphertext ?? ''), to: row.recipient };
  };

  /** A customer whose phone is already a confirmed SMS factor (besides the TOTP the harness adds, unless told). */
  const customerWithSms = async (options: { withTotp?: boolean } = {}) => {
    const customer = await addUser(harness, { kind: 'customer', ...(options.withTotp === false ? { withTotp: false } : {}) });
    const factor = await harness.deps.db
      .insertInto('factors')
      .values({ user_id: customer.id, type: 'sms', label: 'Text message to •••• 0123', phone: PHONE, confirmed_at: harness.clock.now(), created_at: harness.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { customer, factorId: factor.id };
  };

  const passwordStep = async (user: TestUser) => {
    const client = harness.client();
    const login = await client.post('/api/banking/login', { username: user.username, password: user.password });
    expect(login.statusCode).toBe(200);
    return { client, login: login.json() as { status: string; factors?: { id: string; type: string; label: string }[] } };
  };

  const otherThan = (code: string | null) => (code === '000000' ? '111111' : '000000');

  it('enrolment verifies the phone with a 6-digit code before it becomes a factor; audited and notified', async () => {
    await start();
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');

    expectError(await client.post('/api/banking/me/two-factor/sms', { phone: '0770 0900' }), 400, 'validation_failed');
    const enrolment = await postAndReadCode(client, '/api/banking/me/two-factor/sms', { phone: '+44 7700 900123' });
    expect(enrolment.reply.statusCode).toBe(201);
    const factorId = enrolment.reply.json().factorId as string;
    expect(enrolment.to).toBe(PHONE);
    expect(enrolment.code).toMatch(/^\d{6}$/);

    // Not a factor until the code comes back: not listed, not offered at sign-in.
    const listed = async () => ((await client.get('/api/banking/me/two-factor')).json().factors as { id: string; type: string; label: string }[]).filter((f) => f.type === 'sms');
    expect(await listed()).toEqual([]);
    expect((await passwordStep(customer)).login.factors?.map((factor) => factor.type)).toEqual(['totp']);

    expectError(await client.post(`/api/banking/me/two-factor/sms/${factorId}/confirm`, { code: otherThan(enrolment.code) }), 401, 'invalid_code');
    const confirmed = await client.post(`/api/banking/me/two-factor/sms/${factorId}/confirm`, { code: enrolment.code });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toEqual({ status: 'confirmed' });
    expect(await listed()).toEqual([{ id: factorId, type: 'sms', label: 'Text message to •••• 0123', createdAt: expect.any(String) }]);
    // Used once: the same code does not confirm again.
    expect((await client.post(`/api/banking/me/two-factor/sms/${factorId}/confirm`, { code: enrolment.code })).statusCode).toBe(404);

    const audit = await harness.deps.db.selectFrom('audit_events').select(['type', 'details']).where('target_id', '=', customer.id).orderBy('id').execute();
    expect(audit.map((row) => row.type)).toEqual(expect.arrayContaining(['factor.sms_enrolled', 'factor.sms_code_refused', 'factor.sms_confirmed']));
    expect(JSON.stringify(audit)).not.toContain('7700900123');
    // Never a code or a full phone number in the log.
    expect(harness.logs.join('\n')).not.toContain('7700900123');
    expect(harness.logs.join('\n')).not.toContain('7700 900123');
    expect(harness.logs.join('\n')).not.toContain(enrolment.code);
    const added = await harness.deps.db.selectFrom('notifications').select(['channel', 'payload']).where('user_id', '=', customer.id).where('kind', '=', 'factor_added').execute();
    expect(added).toEqual([{ channel: 'email', payload: { factorLabel: 'Text message to •••• 0123' } }]);

    // Enrolment is a factor change: it needs a recent second factor.
    harness.clock.advance(500);
    await client.get('/api/banking/me/two-factor');
    harness.clock.advance(401);
    expectError(await client.post('/api/banking/me/two-factor/sms', { phone: PHONE }), 401, 'reauthentication_required');
  });

  it('a user with no factor yet can make SMS their first one, and is signed in under a new token', async () => {
    await start();
    const customer = await addUser(harness, { kind: 'customer', withTotp: false });
    const { client, login } = await passwordStep(customer);
    expect(login.status).toBe('enrollment_required');
    const enrollmentCookie = client.cookie('latchkey_banking');
    const enrolment = await postAndReadCode(client, '/api/banking/me/two-factor/sms', { phone: PHONE });
    expect(enrolment.reply.statusCode).toBe(201);
    const confirmed = await client.post(`/api/banking/me/two-factor/sms/${enrolment.reply.json().factorId}/confirm`, { code: enrolment.code });
    expect(confirmed.json()).toEqual({ status: 'signed_in' });
    expect(client.cookie('latchkey_banking')).not.toBe(enrollmentCookie);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
  });

  it('signs in with a texted code: offered in the list, sent by the challenge, checked once, through the HTTP gateway', async () => {
    await start();
    const { customer, factorId } = await customerWithSms();
    const messages: { to: string; text: string }[] = [];
    const gateway: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string; text: string });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const logs: string[] = [];
    const log = createLogger('debug', new Writable({ write: (chunk, _encoding, callback) => (logs.push(String(chunk)), callback()) }));
    const transport = createNotificationTransport(
      { email: { kind: 'log' }, sms: { kind: 'webhook', url: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms` }, supportContact: 'call us' },
      log,
    );
    try {
      const { client, login } = await passwordStep(customer);
      expect(login.factors).toEqual([
        { id: customer.totpFactorId, type: 'totp', label: 'Authenticator app' },
        { id: factorId, type: 'sms', label: 'Text message to •••• 0123' },
      ]);
      const challenge = await client.post('/api/banking/login/challenge', { factorId });
      expect(challenge.statusCode).toBe(204);
      expect(messages).toEqual([]); // queued in the outbox, sent after commit by the worker
      const round = await deliverDueNotifications({ db: harness.deps.db, keys: harness.deps.keys, transport, supportContact: 'call us', log }, harness.clock.now());
      expect(round).toMatchObject({ sent: 1, failed: 0 });
      expect(messages).toHaveLength(1);
      expect(messages[0]?.to).toBe(PHONE);
      const code = /^(\d{6}) is your verification code\./.exec(messages[0]?.text ?? '')?.[1];
      expect(code).toMatch(/^\d{6}$/);

      const verified = await client.post('/api/banking/login/verify', { factorId, code });
      expect(verified.statusCode).toBe(200);
      expect(verified.json().status).toBe('signed_in');
      const audit = await harness.deps.db.selectFrom('audit_events').select(['type', 'details']).where('target_id', '=', customer.id).orderBy('id').execute();
      expect(audit.map((row) => row.type)).toEqual(expect.arrayContaining(['second_factor.sms_sent', 'sign_in.succeeded']));
      expect(audit.find((row) => row.type === 'sign_in.succeeded')?.details).toMatchObject({ factor: 'sms' });

      // Single use: the code that signed in does not step up.
      expectError(await client.post('/api/banking/reauthenticate', { factorId, code }), 401, 'invalid_code');
      // Never a code or a full phone number in the app's or the delivery's log.
      for (const text of [harness.logs.join('\n'), logs.join('\n')]) {
        expect(text).not.toContain(code);
        expect(text).not.toContain('7700900123');
      }
    } finally {
      await transport.close();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
    }
  });

  it('codes are 6 random digits, and the database never holds one in clear, only an HMAC', async () => {
    await start({ enabled: true, maxPerHour: 20 });
    const { customer, factorId } = await customerWithSms();
    const { client } = await passwordStep(customer);
    const codes: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      const sent = await postAndReadCode(client, '/api/banking/login/challenge', { factorId });
      expect(sent.reply.statusCode).toBe(204);
      expect(sent.code).toMatch(/^\d{6}$/);
      codes.push(sent.code ?? '');
    }
    expect(new Set(codes).size).toBeGreaterThan(6);
    const rows = await harness.deps.db.selectFrom('sms_codes').selectAll().where('user_id', '=', customer.id).execute();
    expect(rows).toHaveLength(12);
    for (const row of rows) expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify({
      sms: rows,
      outbox: await harness.deps.db.selectFrom('notifications').selectAll().execute(),
      audit: await harness.deps.db.selectFrom('audit_events').selectAll().execute(),
      sessions: await harness.deps.db.selectFrom('sessions').selectAll().execute(),
    });
    for (const code of codes) {
      expect(dump).not.toContain(`"${code}"`);
      expect(dump).not.toMatch(new RegExp(`(?<![0-9a-zA-Z_-])${code}(?![0-9a-zA-Z_-])`));
    }
    // Only one of them is still usable: the latest.
    expect(rows.filter((row) => row.superseded_at === null && row.used_at === null)).toHaveLength(1);
  });

  it('a code expires after 10 minutes (step-up)', async () => {
    await start();
    const { customer, factorId } = await customerWithSms();
    const client = await signIn(harness, customer, 'banking');

    const early = await postAndReadCode(client, '/api/banking/reauthenticate/challenge', { factorId });
    expect(early.reply.statusCode).toBe(204);
    harness.clock.advance(599);
    expect((await client.post('/api/banking/reauthenticate', { factorId, code: early.code })).statusCode).toBe(204);

    const late = await postAndReadCode(client, '/api/banking/reauthenticate/challenge', { factorId });
    harness.clock.advance(600);
    expectError(await client.post('/api/banking/reauthenticate', { factorId, code: late.code }), 401, 'invalid_code');
    const row = await harness.deps.db.selectFrom('sms_codes').select(['created_at', 'expires_at']).where('user_id', '=', customer.id).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(600_000);
  });

  it('only the latest code is valid, each once, and only for the session it was sent for', async () => {
    await start();
    const { customer, factorId } = await customerWithSms();
    const { client } = await passwordStep(customer);
    const first = await postAndReadCode(client, '/api/banking/login/challenge', { factorId });
    const second = await postAndReadCode(client, '/api/banking/login/challenge', { factorId });
    expect(first.code).not.toBeNull();
    if (first.code !== second.code) {
      expectError(await client.post('/api/banking/login/verify', { factorId, code: first.code }), 401, 'invalid_code');
    }
    // Another sign-in of the same user cannot use this session's code.
    const { client: other } = await passwordStep(customer);
    expectError(await other.post('/api/banking/login/verify', { factorId, code: second.code }), 401, 'invalid_code');
    // A newer code for the other session supersedes this one too: only the factor's latest counts.
    expect((await client.post('/api/banking/login/verify', { factorId, code: second.code })).statusCode).toBe(200);
    // Single use: replaying it in a step-up fails.
    expectError(await client.post('/api/banking/reauthenticate', { factorId, code: second.code }), 401, 'invalid_code');
  });

  it('texts are limited per account and per hour: 429 with Retry-After, enrolment included', async () => {
    await start({ enabled: true, maxPerHour: 3 });
    const { customer, factorId } = await customerWithSms();
    const client = await signIn(harness, customer, 'banking');
    expect((await client.post('/api/banking/me/two-factor/sms', { phone: '+15550001234' })).statusCode).toBe(201);
    harness.clock.advance(60);
    expect((await client.post('/api/banking/reauthenticate/challenge', { factorId })).statusCode).toBe(204);
    harness.clock.advance(60);
    expect((await client.post('/api/banking/reauthenticate/challenge', { factorId })).statusCode).toBe(204);
    harness.clock.advance(60);
    const refused = await postAndReadCode(client, '/api/banking/reauthenticate/challenge', { factorId });
    expectError(refused.reply, 429, 'too_many_attempts');
    expect(refused.code).toBeNull();
    // The oldest text of the hour was sent 180 s ago.
    expect(refused.reply.headers['retry-after']).toBe('3420');
    expectError(await client.post('/api/banking/me/two-factor/sms', { phone: '+15550001234' }), 429, 'too_many_attempts');
    // Another sign-in does not start the count again.
    const { client: other } = await passwordStep(customer);
    expectError(await other.post('/api/banking/login/challenge', { factorId }), 429, 'too_many_attempts');
    const audit = await harness.deps.db.selectFrom('audit_events').select('type').where('target_id', '=', customer.id).execute();
    expect(audit.filter((row) => row.type === 'second_factor.sms_limited').length).toBeGreaterThanOrEqual(2);

    harness.clock.advance(3420);
    const { client: later } = await passwordStep(customer);
    expect((await later.post('/api/banking/login/challenge', { factorId })).statusCode).toBe(204);
  });

  it('texts to one number are limited across accounts too (SMS bombing through many accounts)', async () => {
    await start({ enabled: true, maxPerHour: 3 });
    const first = await signIn(harness, await addUser(harness, { kind: 'customer' }), 'banking');
    const second = await signIn(harness, await addUser(harness, { kind: 'customer' }), 'banking');
    expect((await first.post('/api/banking/me/two-factor/sms', { phone: '+15550001234' })).statusCode).toBe(201);
    expect((await first.post('/api/banking/me/two-factor/sms', { phone: '+1 555 000 1234' })).statusCode).toBe(201);
    expect((await second.post('/api/banking/me/two-factor/sms', { phone: '+15550001234' })).statusCode).toBe(201);
    expectError(await second.post('/api/banking/me/two-factor/sms', { phone: '+15550001234' }), 429, 'too_many_attempts');
    // Another number, and the second account's own count (1 of 3), are fine.
    expect((await second.post('/api/banking/me/two-factor/sms', { phone: '+15550009999' })).statusCode).toBe(201);
  });

  it('asking for a new code does not reset the failure count: 4 wrong, resend, 6 wrong → locked at 10', async () => {
    await start();
    const { customer, factorId } = await customerWithSms();
    const { client } = await passwordStep(customer);
    const first = await postAndReadCode(client, '/api/banking/login/challenge', { factorId });
    for (let index = 0; index < 4; index += 1) {
      expectError(await client.post('/api/banking/login/verify', { factorId, code: otherThan(first.code) }), 401, 'invalid_code');
    }
    expect((await failuresOf(customer.id)).second_factor_failures).toBe(4);
    const resent = await postAndReadCode(client, '/api/banking/login/challenge', { factorId });
    expect(resent.reply.statusCode).toBe(204);
    expect((await failuresOf(customer.id)).second_factor_failures).toBe(4);
    for (let index = 0; index < 6; index += 1) {
      expectError(await client.post('/api/banking/login/verify', { factorId, code: otherThan(resent.code) }), 401, 'invalid_code');
    }
    const after = await failuresOf(customer.id);
    expect(after.second_factor_failures).toBe(10);
    expect(after.second_factor_locked_until).not.toBeNull();
    // Locked: even the right, latest code is refused.
    expectError(await client.post('/api/banking/login/verify', { factorId, code: resent.code }), 429, 'too_many_attempts');
  });

  it('SMS off by policy: not offered, not sent, not accepted, not enrollable', async () => {
    await start({ enabled: false, maxPerHour: 5 });
    const { customer, factorId } = await customerWithSms();
    const { client, login } = await passwordStep(customer);
    expect(login.factors?.map((factor) => factor.type)).toEqual(['totp']);
    expectError(await client.post('/api/banking/login/challenge', { factorId }), 404, 'not_found');
    expectError(await client.post('/api/banking/login/verify', { factorId, code: '123456' }), 401, 'invalid_code');
    expect(await harness.deps.db.selectFrom('sms_codes').selectAll().execute()).toEqual([]);

    const signedIn = await signIn(harness, customer, 'banking');
    // The screens learn the policy from the user's own two-factor status, and hide SMS.
    expect((await signedIn.get('/api/banking/me/two-factor')).json().smsAvailable).toBe(false);
    const refused = await signedIn.post('/api/banking/me/two-factor/sms', { phone: PHONE });
    expectError(refused, 403, 'forbidden');
    expect(refused.json().error.message).toMatch(/turned off/);
    expect(await harness.deps.db.selectFrom('notifications').selectAll().where('kind', '=', 'sms_code').execute()).toEqual([]);

    // A user whose only factor is SMS is not sent to enrolment on the password alone.
    const { customer: smsOnly } = await customerWithSms({ withTotp: false });
    const smsOnlyLogin = await passwordStep(smsOnly);
    expect(smsOnlyLogin.login).toEqual({ status: 'second_factor_required', factors: [] });
  });
});

describe('SMS configuration', () => {
  it('SMS is on by default, at most 5 texts an hour; SMS_ENABLED and SMS_MAX_PER_HOUR change that', () => {
    expect(loadConfig({}).sms).toEqual({ enabled: true, maxPerHour: 5 });
    expect(loadConfig({ SMS_ENABLED: 'false', SMS_MAX_PER_HOUR: '3' }).sms).toEqual({ enabled: false, maxPerHour: 3 });
    expect(() => loadConfig({ SMS_MAX_PER_HOUR: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMS_ENABLED: 'maybe' })).toThrow(/SMS_ENABLED/);
  });
});
