// SPEC §5, SECURITY §11, issue 4: notifications go through the outbox to a real SMTP server
// (smtp-server, started here) and a local HTTP receiver standing in for the SMS gateway.
// Each event's mail is read as a person would: the right words, a "Wasn't you?" line, and no
// secret — no backup code, password, TOTP seed or session token. A mail server that refuses
// delays mail and loses none; the outbox never holds a code in clear. The worker's clock is
// the harness's: rounds are run by calling deliverDueNotifications(deps, now) directly.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createNotificationTransport } from '../src/adapters/notify/notification-transport.js';
import type { Config } from '../src/config.js';
import { type DeliveryDeps, type DeliveryRound, deliverDueNotifications } from '../src/modules/notifications/deliver-notifications.js';
import { type NotificationMessage, enqueueNotification } from '../src/modules/notifications/enqueue-notification.js';
import { createNotificationWorker } from '../src/modules/notifications/notification-worker.js';
import { formatInstant } from '../src/modules/notifications/render-notification.js';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';
import { decrypt } from '../src/shared/secrets.js';
import { createLogger } from '../src/shared/logger.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, TEST_PASSWORD, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';

const SUPPORT = 'call 0800 555 0100';
const WASNT_YOU = `Wasn't you? Contact us right away: ${SUPPORT}.`;
const GENERATE = 'users.generate_lockout_codes';

interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A real SMTP server on 127.0.0.1 that can refuse every connection (421) until told otherwise. */
async function startSmtpServer(port = 0): Promise<{ port: number; url: string; mails: ReceivedMail[]; refuse(on: boolean): void; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      if (!refusing) return callback();
      return callback(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
    },
    onData(stream, session, callback) {
      // Parsed before the 250 reply, so a resolved send means the mail is in `mails`.
      simpleParser(stream)
        .then((parsed) => {
          mails.push({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address).join(','),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `smtp://127.0.0.1:${bound}`,
    mails,
    refuse: (on) => {
      refusing = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The SMS gateway: records each JSON POST, answers `status` (200 unless changed). */
async function startSmsReceiver(): Promise<{ url: string; messages: { to: string; text: string }[]; answer(status: number): void; close(): Promise<void> }> {
  const messages: { to: string; text: string }[] = [];
  let status = 200;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (status === 200 && request.method === 'POST' && request.headers['content-type'] === 'application/json') {
        messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string; text: string });
      }
      response.writeHead(status, { 'content-type': 'application/json' });
      // A gateway that echoes what it got: the echo must not end up in the outbox or the log.
      response.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    messages,
    answer: (next) => {
      status = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describeEachEngine('notifications', (engine) => {
  let harness: Harness;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let sms: Awaited<ReturnType<typeof startSmsReceiver>>;
  let delivery: DeliveryDeps;
  let deliveryLogs: string[];

  function deliveryDepsFor(notifications: Config['notifications'], logs: string[]): DeliveryDeps {
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    });
    const log = createLogger('debug', sink);
    return { db: harness.deps.db, keys: harness.deps.keys, transport: createNotificationTransport(notifications, log), supportContact: SUPPORT, log };
  }

  beforeEach(async () => {
    harness = await startHarness(engine);
    smtp = await startSmtpServer();
    sms = await startSmsReceiver();
    deliveryLogs = [];
    delivery = deliveryDepsFor(
      { email: { kind: 'smtp', url: smtp.url, from: 'Latchkey Bank <no-reply@bank.example>' }, sms: { kind: 'webhook', url: sms.url }, supportContact: SUPPORT },
      deliveryLogs,
    );
  });
  afterEach(async () => {
    await delivery.transport.close();
    await smtp.close();
    await sms.close();
    await harness.close();
  });

  const deliver = (): Promise<DeliveryRound> => deliverDueNotifications(delivery, harness.clock.now());
  const outbox = () => harness.deps.db.selectFrom('notifications').selectAll().orderBy('created_at').orderBy('id').execute();
  const emailOf = (user: TestUser) => `${user.username}@example.test`;
  const mailsTo = (user: TestUser) => smtp.mails.filter((mail) => mail.to === emailOf(user));

  /** Every secret the scenario has seen, to be found in no mail, log line or outbox row. */
  const secrets: string[] = [];
  beforeEach(() => {
    secrets.length = 0;
    secrets.push(TEST_PASSWORD);
  });
  function remember(...values: (string | null | undefined)[]): void {
    for (const value of values) if (value !== null && value !== undefined && value !== '') secrets.push(value);
  }
  function rememberSessions(...clients: Client[]): void {
    for (const client of clients) remember(client.cookie('latchkey_banking'), client.cookie('latchkey_admin'));
  }
  function expectNoSecretIn(text: string): void {
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      if (/^[A-Z0-9]{4}(-[A-Z0-9]{4})+$/.test(secret)) expect(text).not.toContain(secret.replaceAll('-', ''));
    }
  }
  async function expectNoSecretAnywhere(): Promise<void> {
    for (const mail of smtp.mails) expectNoSecretIn(JSON.stringify(mail));
    expectNoSecretIn(JSON.stringify(await outbox()));
    expectNoSecretIn(deliveryLogs.join('\n'));
    expectNoSecretIn(harness.logs.join('\n'));
  }
  function expectReadable(mail: ReceivedMail | undefined, subject: RegExp, words: string[]): void {
    expect(mail).toBeDefined();
    expect(mail?.subject).toMatch(subject);
    for (const word of words) expect(mail?.text).toContain(word);
    expect(mail?.text).toContain(WASNT_YOU);
    expect(mail?.html).toContain('Wasn&#39;t you? Contact us right away');
  }

  async function staffGeneratesCodesFor(customer: TestUser): Promise<{ codes: string[]; expiresAt: string }> {
    const staff = await addUser(harness, { kind: 'staff', permissions: [GENERATE, 'users.view'] });
    remember(staff.totpSecret);
    const admin = await signIn(harness, staff, 'admin');
    rememberSessions(admin);
    const reply = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'ticket 42' });
    expect(reply.statusCode).toBe(201);
    const generated = reply.json() as { codes: string[]; expiresAt: string };
    remember(...generated.codes);
    return generated;
  }

  it('codes generated by staff: the user is told when, and until when, never the codes', async () => {
    const customer = await addUser(harness, { kind: 'customer', firstName: 'Anna' });
    remember(customer.totpSecret);
    const { expiresAt } = await staffGeneratesCodesFor(customer);
    // Queued in the generation's transaction, sent only by a delivery round.
    expect(smtp.mails).toEqual([]);
    expect(await outbox()).toMatchObject([{ user_id: customer.id, channel: 'email', recipient: emailOf(customer), kind: 'backup_codes_issued_by_staff', sent_at: null }]);

    expect(await deliver()).toEqual({ claimed: 1, sent: 1, failed: 0 });
    expect(smtp.mails).toHaveLength(1);
    expectReadable(mailsTo(customer)[0], /backup codes were issued/i, [
      'Hello Anna,',
      'Our staff generated emergency backup codes',
      formatInstant(harness.clock.now()),
      `expire on ${formatInstant(new Date(expiresAt))}`,
      'we will never ask you to tell us one',
    ]);
    const [row] = await outbox();
    expect(row).toMatchObject({ attempts: 1, last_error: null, secret_ciphertext: null });
    expect(new Date(row!.sent_at!).getTime()).toBe(harness.clock.now().getTime());
    // Sent once: a later round finds nothing.
    expect(await deliver()).toEqual({ claimed: 0, sent: 0, failed: 0 });
    await expectNoSecretAnywhere();
  });

  it('a backup code used: the user is told, with how many are left', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    remember(customer.totpSecret);
    const { codes } = await staffGeneratesCodesFor(customer);
    await deliver();
    const client = harness.client();
    expect((await client.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
    expect((await client.post('/api/banking/login/verify', { factorId: 'backup_codes', code: codes[0] })).statusCode).toBe(200);
    rememberSessions(client);

    expect(await deliver()).toMatchObject({ sent: 1 });
    const mails = mailsTo(customer);
    expect(mails.map((mail) => mail.subject)).toEqual(['Backup codes were issued for your account', 'A backup code was used on your account']);
    expectReadable(mails[1], /backup code was used/i, ['One of your backup codes was used', 'You have 9 backup codes left.']);
    await expectNoSecretAnywhere();
  });

  it('a factor added and a factor removed: one mail each, naming the device, never its seed', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    remember(customer.totpSecret);
    const client = await signIn(harness, customer, 'banking');
    rememberSessions(client);
    const enrolled = await client.post('/api/banking/me/two-factor/totp');
    expect(enrolled.statusCode).toBe(201);
    const { factorId, secret } = enrolled.json() as { factorId: string; secret: string };
    remember(secret);
    // Abandoned and unconfirmed factors notify nobody.
    expect(await outbox()).toEqual([]);
    harness.clock.advance(30);
    const confirmed = await client.post(`/api/banking/me/two-factor/totp/${factorId}/confirm`, { code: totpCodeAt({ secretBase32: secret }, harness.clock.now()) });
    expect(confirmed.statusCode).toBe(200);
    await deliver();
    expectReadable(mailsTo(customer)[0], /device was added/i, ['"Authenticator app" was added to your two-factor devices']);

    harness.clock.advance(60);
    expect((await client.delete(`/api/banking/me/two-factor/factors/${customer.totpFactorId}`)).statusCode).toBe(204);
    await deliver();
    const mails = mailsTo(customer);
    expect(mails).toHaveLength(2);
    expectReadable(mails[1], /device was removed/i, ['"Authenticator app" was removed', formatInstant(harness.clock.now())]);
    await expectNoSecretAnywhere();
  });

  it('password right, second factor wrong: one mail per lock-out window, not one per guess; a wrong password or a failed step-up sends none', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    remember(customer.totpSecret);
    const attacker = harness.client();
    // A wrong password is no news: anyone can type a username.
    expect((await attacker.post('/api/banking/login', { username: customer.username, password: 'not the password at all' })).statusCode).toBe(401);
    expect(await outbox()).toEqual([]);

    expect((await attacker.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
    rememberSessions(attacker);
    for (const code of ['000000', '111111', '222222']) {
      expect((await attacker.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code })).statusCode).toBe(401);
    }
    // A fresh pending session in the same window adds nothing either.
    const again = harness.client();
    expect((await again.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
    rememberSessions(again);
    expect((await again.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: '333333' })).statusCode).toBe(401);
    expect(await deliver()).toMatchObject({ sent: 1 });
    expect(mailsTo(customer)).toHaveLength(1);
    expectReadable(mailsTo(customer)[0], /failed the second step/i, [
      `On ${formatInstant(harness.clock.now())} your password was entered correctly`,
      'change it now',
    ]);
    expect(await harness.deps.db.selectFrom('audit_events').select('type').where('type', '=', 'second_factor.failed').execute()).toHaveLength(4);

    // The owner signs in (the counter resets) and fumbles a step-up: no mail about that.
    const owner = await signIn(harness, customer, 'banking');
    rememberSessions(owner);
    expect((await owner.post('/api/banking/reauthenticate', { factorId: customer.totpFactorId, code: '444444' })).statusCode).toBe(401);
    await deliver();
    expect(mailsTo(customer)).toHaveLength(1);

    // Past the window (SECOND_FACTOR_LOCKOUT_SECONDS), someone still trying is reported again.
    harness.clock.advance(1801);
    const later = harness.client();
    expect((await later.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
    rememberSessions(later);
    expect((await later.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: '555555' })).statusCode).toBe(401);
    await deliver();
    expect(mailsTo(customer).map((mail) => mail.subject)).toEqual([
      'Someone entered your password but failed the second step',
      'Someone entered your password but failed the second step',
    ]);
    await expectNoSecretAnywhere();
  });

  it('password right, second factor wrong from eight pending sessions at once: one notice, and every failure audited', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    remember(customer.totpSecret);
    const attackers = Array.from({ length: 8 }, () => harness.client());
    for (const attacker of attackers) {
      expect((await attacker.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
      rememberSessions(attacker);
    }
    const answers = await Promise.all(attackers.map((attacker, index) => attacker.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: `00000${index}` })));
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(8).fill(401));
    const notices = (await outbox()).filter((row) => row.user_id === customer.id && row.kind === 'second_factor_failed');
    expect(notices).toHaveLength(1);
    const failures = await harness.deps.db.selectFrom('audit_events').select('details').where('type', '=', 'second_factor.failed').where('target_id', '=', customer.id).execute();
    // Each attempt spent one of the account's attempts, one after the other.
    expect(failures.map((row) => (typeof row.details === 'string' ? JSON.parse(row.details) : row.details).consecutiveFailures).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('an SMS code goes to the SMS gateway as JSON {to, text}, and its secret leaves the outbox once sent', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const code = '604218';
    remember(code);
    await harness.deps.db.transaction().execute((trx) =>
      enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), channel: 'sms', to: '+15550001234', message: { kind: 'sms_code', secret: code } }),
    );
    const [queued] = await outbox();
    expect(queued).toMatchObject({ channel: 'sms', recipient: '+15550001234', kind: 'sms_code', payload: {} });
    expect(queued?.secret_ciphertext).not.toBeNull();

    expect(await deliver()).toEqual({ claimed: 1, sent: 1, failed: 0 });
    expect(sms.messages).toEqual([{ to: '+15550001234', text: `${code} is your verification code. Never share it: we will never ask you for it.` }]);
    expect(smtp.mails).toEqual([]);
    const [sent] = await outbox();
    expect(sent).toMatchObject({ secret_ciphertext: null, last_error: null });
    expect(sent?.sent_at).not.toBeNull();
    await expectNoSecretAnywhere();
  });

  it('an SMS gateway that answers 503 keeps the message, without its echo, until it answers 200', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const code = '771903';
    remember(code);
    await harness.deps.db.transaction().execute((trx) =>
      enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), channel: 'sms', to: '+15550009876', message: { kind: 'sms_code', secret: code } }),
    );
    sms.answer(503);
    expect(await deliver()).toMatchObject({ failed: 1 });
    expect(await outbox()).toMatchObject([{ attempts: 1, last_error: 'SMS gateway answered HTTP 503', sent_at: null }]);
    expectNoSecretIn(deliveryLogs.join('\n'));
    sms.answer(200);
    harness.clock.advance(5);
    expect(await deliver()).toMatchObject({ sent: 1 });
    expect(sms.messages.map((message) => message.to)).toEqual(['+15550009876']);
    await expectNoSecretAnywhere();
  });

  it('a mail server that refuses, then is down, delays the mail with back-off and loses none', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    remember(customer.totpSecret);
    smtp.refuse(true);
    await staffGeneratesCodesFor(customer);
    const start = harness.clock.now().getTime();
    const at = (seconds: number) => harness.clock.set(new Date(start + seconds * 1000));
    const row = async () => (await outbox())[0]!;

    // Refused (421): kept, with the reason, due again in 5 s.
    expect(await deliver()).toEqual({ claimed: 1, sent: 0, failed: 1 });
    expect(await row()).toMatchObject({ attempts: 1, sent_at: null });
    expect((await row()).last_error).toMatch(/421/);
    expect(new Date((await row()).next_attempt_at).getTime()).toBe(start + 5_000);
    at(4.999);
    expect(await deliver()).toEqual({ claimed: 0, sent: 0, failed: 0 });

    // Refused again: 10 s. Then the server is gone altogether (connection refused): 20 s.
    at(5);
    expect(await deliver()).toMatchObject({ failed: 1 });
    expect(new Date((await row()).next_attempt_at).getTime()).toBe(start + 15_000);
    const { port } = smtp;
    await smtp.close();
    at(15);
    expect(await deliver()).toMatchObject({ failed: 1 });
    expect(await row()).toMatchObject({ attempts: 3, sent_at: null });
    expect((await row()).last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(new Date((await row()).next_attempt_at).getTime()).toBe(start + 35_000);

    // A second event while the server is down is queued behind the first.
    at(20);
    const attacker = harness.client();
    await attacker.post('/api/banking/login', { username: customer.username, password: customer.password });
    await attacker.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: '000000' });
    rememberSessions(attacker);

    // Back on the same port, accepting: everything queued arrives, once.
    smtp = await startSmtpServer(port);
    at(35);
    expect(await deliver()).toEqual({ claimed: 2, sent: 2, failed: 0 });
    expect(smtp.mails.map((mail) => mail.subject).sort()).toEqual([
      'Backup codes were issued for your account',
      'Someone entered your password but failed the second step',
    ]);
    expect((await outbox()).map((notification) => ({ sent: notification.sent_at !== null, lastError: notification.last_error }))).toEqual([
      { sent: true, lastError: null },
      { sent: true, lastError: null },
    ]);
    at(3600);
    expect(await deliver()).toEqual({ claimed: 0, sent: 0, failed: 0 });
    expect(smtp.mails).toHaveLength(2);
    await expectNoSecretAnywhere();
  });

  it('the back-off doubles from 5 s and stops growing at 15 min; the message is never given up', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    smtp.refuse(true);
    await harness.deps.db.transaction().execute((trx) =>
      enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), message: { kind: 'password_changed' } }),
    );
    const delays: number[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      expect(await deliver()).toMatchObject({ failed: 1 });
      const [row] = await outbox();
      const next = new Date(row!.next_attempt_at).getTime();
      delays.push((next - harness.clock.now().getTime()) / 1000);
      harness.clock.set(new Date(next));
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 900, 900, 900, 900]);
    smtp.refuse(false);
    expect(await deliver()).toMatchObject({ sent: 1 });
    expect(mailsTo(customer)).toHaveLength(1);
  });

  it('the outbox never holds an email confirmation or SMS code in clear; only the worker opens it, to send', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const confirmation = 'K7Q2-M9XD';
    const smsCode = '318254';
    remember(confirmation, smsCode);
    const messages: { message: NotificationMessage; channel?: 'email' | 'sms'; to?: string }[] = [
      { message: { kind: 'email_change_requested', newEmail: 'anna.new@example.test' } },
      { message: { kind: 'email_confirmation', secret: confirmation }, to: 'anna.new@example.test' },
      { message: { kind: 'sms_code', secret: smsCode }, channel: 'sms', to: '+15550004321' },
    ];
    await harness.deps.db.transaction().execute(async (trx) => {
      for (const { message, channel, to } of messages) {
        await enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), message, ...(channel === undefined ? {} : { channel }), ...(to === undefined ? {} : { to }) });
      }
    });

    // The whole table, as a dump would show it.
    const dump = JSON.stringify((await sql`SELECT * FROM notifications`.execute(harness.deps.db)).rows);
    expect(dump).not.toContain(confirmation);
    expect(dump).not.toContain(smsCode);
    const rows = (await outbox()).sort((a, b) => a.kind.localeCompare(b.kind));
    expect(rows.map((row) => [row.kind, row.recipient, row.payload, row.secret_ciphertext !== null])).toEqual([
      ['email_change_requested', emailOf(customer), { newEmail: 'anna.new@example.test' }, false],
      ['email_confirmation', 'anna.new@example.test', {}, true],
      ['sms_code', '+15550004321', {}, true],
    ]);
    // Sealed with the notification key, and with no other.
    const key = harness.deps.keys.get('notification-secret');
    expect(decrypt(key, rows[1]!.secret_ciphertext!)).toBe(confirmation);
    expect(() => decrypt(harness.deps.keys.get('totp-seed-encryption'), rows[1]!.secret_ciphertext!)).toThrow();

    expect(await deliver()).toMatchObject({ sent: 3 });
    const toOld = mailsTo(customer);
    expect(toOld).toHaveLength(1);
    expectReadable(toOld[0], /change of your email address/i, ['to anna.new@example.test', 'only once it is confirmed']);
    expectNoSecretIn(JSON.stringify(toOld));
    // The new address gets its code — the one mail meant to carry one.
    const toNew = smtp.mails.filter((mail) => mail.to === 'anna.new@example.test');
    expect(toNew).toHaveLength(1);
    expectReadable(toNew[0], /confirm your new email/i, [confirmation]);
    expect(sms.messages).toEqual([{ to: '+15550004321', text: expect.stringContaining(smsCode) }]);

    // Sent: nothing of the secrets is left, not even sealed.
    expect((await outbox()).map((row) => row.secret_ciphertext)).toEqual([null, null, null]);
    const after = JSON.stringify((await sql`SELECT * FROM notifications`.execute(harness.deps.db)).rows);
    expect(after).not.toContain(confirmation);
    expect(after).not.toContain(smsCode);
    expectNoSecretIn(deliveryLogs.join('\n'));
  });

  it('the log transport (the default) logs kind and a masked recipient, never the body or a secret', async () => {
    const customer = await addUser(harness, { kind: 'customer', username: 'loguser' });
    const code = '902211';
    remember(code);
    await harness.deps.db.transaction().execute(async (trx) => {
      await enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), message: { kind: 'email_confirmation', secret: code } });
      await enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), channel: 'sms', to: '+15550001267', message: { kind: 'sms_code', secret: code } });
    });
    const logs: string[] = [];
    const logOnly = deliveryDepsFor({ email: { kind: 'log' }, sms: { kind: 'log' }, supportContact: SUPPORT }, logs);
    expect(await deliverDueNotifications(logOnly, harness.clock.now())).toMatchObject({ sent: 2 });
    const lines = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => 'to' in line);
    expect(lines.map(({ kind, channel, to }) => ({ kind, channel, to }))).toEqual(
      expect.arrayContaining([
        { kind: 'email_confirmation', channel: 'email', to: 'l•••@example.test' },
        { kind: 'sms_code', channel: 'sms', to: '•••67' },
      ]),
    );
    const all = logs.join('\n');
    expect(all).not.toContain(code);
    expect(all).not.toContain('loguser@example.test');
    expect(all).not.toContain('+15550001267');
    expect(all).not.toContain('Confirm your new email');
  });

  it('the worker sends right after being woken and, once stopped, leaves what is queued for the next start', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const worker = createNotificationWorker({ ...delivery, clock: harness.clock }, { pollIntervalInMs: 60_000 });
    worker.start();
    try {
      // The first round ran at start and found nothing; the next poll is a minute away.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await staffGeneratesCodesFor(customer);
      worker.wake();
      const deadline = Date.now() + 5_000;
      while (mailsTo(customer).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(mailsTo(customer).map((mail) => mail.subject)).toEqual(['Backup codes were issued for your account']);
    } finally {
      await worker.stop();
    }
    // Stopped: what is queued now waits for the next start (of this or another instance).
    await harness.deps.db.transaction().execute((trx) =>
      enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), message: { kind: 'password_changed' } }),
    );
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(mailsTo(customer)).toHaveLength(1);
    expect((await outbox()).filter((row) => row.sent_at === null).map((row) => row.kind)).toEqual(['password_changed']);
  });

  it.runIf(engine === 'postgres')('two instances share the outbox: each message is sent exactly once', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    await harness.deps.db.transaction().execute(async (trx) => {
      for (let index = 0; index < 25; index += 1) {
        await enqueueNotification(trx, harness.deps.keys, { userId: customer.id, at: harness.clock.now(), message: { kind: 'backup_code_used', remaining: index } });
      }
    });
    const other = harness.database.openAnother();
    try {
      const otherDelivery = { ...delivery, db: other.db };
      const now = harness.clock.now();
      const rounds: DeliveryRound[] = [];
      for (let round = 0; round < 4; round += 1) {
        rounds.push(...(await Promise.all([deliverDueNotifications(delivery, now), deliverDueNotifications(otherDelivery, now)])));
      }
      expect(rounds.reduce((sum, round) => sum + round.sent, 0)).toBe(25);
    } finally {
      await other.close();
    }
    const texts = mailsTo(customer).map((mail) => /You have (no|\d+) backup/.exec(mail.text)?.[1]);
    expect(texts).toHaveLength(25);
    expect(new Set(texts).size).toBe(25);
    expect((await outbox()).every((row) => row.attempts === 1 && row.sent_at !== null)).toBe(true);
  });
});
