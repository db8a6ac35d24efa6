// No secret at rest, in the logs or in a reply that does not deliver it (SPEC §2, §4, §5;
// SECURITY.md §5.3, §7.5, §13.2; ASVS 5.0 16.2.5): one run of the seed flow and of the
// settings, with logging at debug, keeps every password, code, TOTP seed and token it uses;
// none of them, in any usual spelling or encoding, is in a log line (the delivery of the outbox
// included), in any row of any table (the audit trail, and the outbox, which holds the codes it
// must send sealed), or in a reply other than the one that hands it out by design. Replies that
// carry one are `Cache-Control: no-store`; the status endpoints never show a code.
// Passkeys are left out: nothing secret crosses the wire in WebAuthn (a challenge, a public key
// and signatures), and the private key never leaves the authenticator.
import { randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import * as OTPAuth from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNotificationTransport } from '../src/adapters/notify/notification-transport.js';
import { deliverDueNotifications } from '../src/modules/notifications/deliver-notifications.js';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';
import { createLogger } from '../src/shared/logger.js';
import { decrypt, sha256Hex } from '../src/shared/secrets.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, TEST_PASSWORD, addUser, currentTotp, startHarness } from '../src/testing/harness.js';

const CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;
const WRONG_PASSWORD = 'not the password of anyone 8c1f';
const NEW_PASSWORD = 'a quiet lighthouse on granite 51';
const WRONG_BACKUP_CODE = 'K7QX-M2PD-W9RT-H4NC';
const PHONE = '+447700900123';
const SUPPORT_CONTACT = 'call the number on the back of your card';

type SecretKind = 'password' | 'backup code' | 'TOTP seed' | 'otpauth URI' | 'TOTP code' | 'email code' | 'SMS code' | 'cookie';

interface Secret {
  kind: SecretKind;
  value: string;
  /** The one reply that hands it out by design (the codes page, the enrolment's seed); null for none. */
  deliveredIn: LightMyRequestResponse | null;
}

interface Exchange {
  request: string;
  reply: LightMyRequestResponse;
}

interface SecretFlow {
  staff: TestUser;
  /** With the password they changed to. */
  customer: TestUser;
  /** Every secret the flow used, typed, was given or was set in a cookie. */
  secrets: Secret[];
  /** Every request of the flow and its reply, in order. */
  exchanges: Exchange[];
  /** Replies that carried codes or a TOTP seed. */
  secretReplies: { name: string; reply: LightMyRequestResponse }[];
  admin: Client;
  banking: Client;
}

/** Records every reply, and keeps every cookie value the server sets as a secret, as a browser would see it. */
function recorded(client: Client, flow: Pick<SecretFlow, 'secrets' | 'exchanges'>): Client {
  const request = client.request.bind(client);
  client.request = async (...args) => {
    const reply = await request(...args);
    flow.exchanges.push({ request: `${args[0]} ${args[1]}`, reply });
    const setCookie = reply.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const value = /^[^=]+=([^;]*)/.exec(line)?.[1] ?? '';
      if (value !== '') flow.secrets.push({ kind: 'cookie', value, deliveredIn: null });
    }
    return reply;
  };
  client.get = (url) => client.request('GET', url);
  client.post = (url, body) => client.request('POST', url, body);
  client.delete = (url) => client.request('DELETE', url);
  return client;
}

/** Six digits other than `code`: a mistyped code, as random as the real one. */
function otherThan(code: string): string {
  for (;;) {
    const other = String(randomInt(1_000_000)).padStart(6, '0');
    if (other !== code) return other;
  }
}

/** Runs `action` and opens the one code of `kind` it queued in the outbox, as the phone or the new mailbox would get it. */
async function queuedCode(
  harness: Harness,
  kind: 'sms_code' | 'email_confirmation',
  action: () => Promise<LightMyRequestResponse>,
): Promise<{ reply: LightMyRequestResponse; code: string }> {
  const idsOfKind = async () => (await harness.deps.db.selectFrom('notifications').select('id').where('kind', '=', kind).execute()).map((row) => row.id);
  const before = new Set(await idsOfKind());
  const reply = await action();
  const fresh = (await idsOfKind()).filter((id) => !before.has(id));
  expect(fresh, reply.body).toHaveLength(1);
  const row = await harness.deps.db.selectFrom('notifications').select('secret_ciphertext').where('id', '=', fresh[0]!).executeTakeFirstOrThrow();
  const code = decrypt(harness.deps.keys.get('notification-secret'), row.secret_ciphertext ?? '');
  expect(code).toMatch(/^\d{6}$/);
  return { reply, code };
}

/**
 * SPEC §2's seed flow, then the customer's settings (§4): securing the account with own recovery
 * codes and a new authenticator app, a phone for SMS, profile and email, a second device ended
 * from the first, the staff member's step-up, the password, and a sign-in with the new password
 * and a texted code.
 */
async function runSecretFlow(harness: Harness): Promise<SecretFlow> {
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'users.view'] });
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Alice', lastName: 'Martin' });
  const flow: Pick<SecretFlow, 'secrets' | 'exchanges' | 'secretReplies'> = { secrets: [], exchanges: [], secretReplies: [] };
  const keep = (kind: SecretKind, value: string, deliveredIn: LightMyRequestResponse | null = null): string => {
    flow.secrets.push({ kind, value, deliveredIn });
    return value;
  };
  const expectStatus = (reply: LightMyRequestResponse, status: number): LightMyRequestResponse => {
    expect(reply.statusCode, reply.body).toBe(status);
    return reply;
  };
  for (const password of [TEST_PASSWORD, WRONG_PASSWORD, NEW_PASSWORD]) keep('password', password);
  keep('TOTP seed', staff.totpSecret!);
  keep('TOTP seed', customer.totpSecret!);

  // The staff member signs in with password and TOTP, finds the customer, generates codes.
  const admin = recorded(harness.client(), flow);
  expectStatus(await admin.post('/api/admin/login', { username: staff.username, password: WRONG_PASSWORD }), 401);
  expectStatus(await admin.post('/api/admin/login', { username: staff.username, password: TEST_PASSWORD }), 200);
  harness.clock.advance(30);
  expectStatus(await admin.post('/api/admin/login/verify', { factorId: staff.totpFactorId, code: keep('TOTP code', currentTotp(harness, staff)) }), 200);
  expectStatus(await admin.get('/api/admin/users?q=alice%20mar&kind=customer'), 200);
  expectStatus(await admin.get(`/api/admin/users/${customer.id}`), 200);
  const generated = expectStatus(await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'Verified by phone, ticket 4711' }), 201);
  flow.secretReplies.push({ name: 'staff generation', reply: generated });
  const staffCodes = (generated.json() as { codes: string[] }).codes;
  for (const code of staffCodes) keep('backup code', code, generated);

  // The customer signs in with one, typed as people do: lower case, no dashes.
  const banking = recorded(harness.client(), flow);
  expectStatus(await banking.post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD }), 200);
  expectStatus(await banking.post('/api/banking/login/verify', { factorId: 'backup_codes', code: keep('backup code', WRONG_BACKUP_CODE) }), 401);
  expectStatus(await banking.post('/api/banking/login/verify', { factorId: 'backup_codes', code: staffCodes[0]!.replaceAll('-', '').toLowerCase() }), 200);

  // Securing the account: own recovery codes, a new authenticator app, a phone for texts.
  const own = expectStatus(await banking.post('/api/banking/me/backup-codes'), 201);
  flow.secretReplies.push({ name: 'own backup codes', reply: own });
  for (const code of (own.json() as { codes: string[] }).codes) keep('backup code', code, own);
  const enrolment = expectStatus(await banking.post('/api/banking/me/two-factor/totp'), 201);
  flow.secretReplies.push({ name: 'TOTP enrolment', reply: enrolment });
  const { factorId: appFactorId, secret: appSecret, otpauthUri } = enrolment.json() as { factorId: string; secret: string; otpauthUri: string };
  keep('TOTP seed', appSecret, enrolment);
  keep('otpauth URI', otpauthUri, enrolment);
  const appCode = keep('TOTP code', totpCodeAt({ secretBase32: appSecret }, harness.clock.now()));
  expectStatus(await banking.post(`/api/banking/me/two-factor/totp/${appFactorId}/confirm`, { code: appCode }), 200);
  const phoneCheck = await queuedCode(harness, 'sms_code', () => banking.post('/api/banking/me/two-factor/sms', { phone: PHONE }));
  const smsFactorId = (expectStatus(phoneCheck.reply, 201).json() as { factorId: string }).factorId;
  keep('SMS code', phoneCheck.code);
  expectStatus(await banking.post(`/api/banking/me/two-factor/sms/${smsFactorId}/confirm`, { code: keep('SMS code', otherThan(phoneCheck.code)) }), 401);
  expectStatus(await banking.post(`/api/banking/me/two-factor/sms/${smsFactorId}/confirm`, { code: phoneCheck.code }), 200);

  // Profile and email: the code goes to the new address, sealed in the outbox.
  expectStatus(await banking.request('PATCH', '/api/banking/me/profile', { firstName: 'Alicia' }), 200);
  const emailCheck = await queuedCode(harness, 'email_confirmation', () => banking.request('PATCH', '/api/banking/me/profile', { email: 'alicia.new@example.test' }));
  expectStatus(emailCheck.reply, 200);
  keep('email code', emailCheck.code);
  expectStatus(await banking.post('/api/banking/me/email/confirm', { code: keep('email code', otherThan(emailCheck.code)) }), 401);
  expectStatus(await banking.post('/api/banking/me/email/confirm', { code: emailCheck.code }), 200);

  // A second device signs in, shows in the sessions list, and is ended from the first.
  harness.clock.advance(30);
  const secondDevice = recorded(harness.client(), flow);
  expectStatus(await secondDevice.post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD }), 200);
  expectStatus(await secondDevice.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: keep('TOTP code', currentTotp(harness, customer)) }), 200);
  const sessions = (expectStatus(await banking.get('/api/banking/me/sessions'), 200).json() as { sessions: { id: string; current: boolean }[] }).sessions;
  expect(sessions).toHaveLength(2);
  expectStatus(await banking.delete(`/api/banking/me/sessions/${sessions.find((session) => !session.current)!.id}`), 204);
  expectStatus(await secondDevice.get('/api/banking/me'), 401);

  // The staff member steps up again.
  harness.clock.advance(30);
  expectStatus(await admin.post('/api/admin/reauthenticate', { factorId: staff.totpFactorId, code: keep('TOTP code', currentTotp(harness, staff)) }), 204);

  // The password: a wrong current one is refused; the change ends every session.
  expectStatus(await banking.post('/api/banking/me/password', { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD }), 401);
  expectStatus(await banking.post('/api/banking/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }), 204);

  // Signing in again: the old password is refused; the new one and a texted code (mistyped once) get in.
  expectStatus(await banking.post('/api/banking/login', { username: customer.username, password: TEST_PASSWORD }), 401);
  expectStatus(await banking.post('/api/banking/login', { username: customer.username, password: NEW_PASSWORD }), 200);
  const texted = await queuedCode(harness, 'sms_code', () => banking.post('/api/banking/login/challenge', { factorId: smsFactorId }));
  expectStatus(texted.reply, 204);
  keep('SMS code', texted.code);
  expectStatus(await banking.post('/api/banking/login/verify', { factorId: smsFactorId, code: keep('SMS code', otherThan(texted.code)) }), 401);
  expectStatus(await banking.post('/api/banking/login/verify', { factorId: smsFactorId, code: texted.code }), 200);

  const kinds = (kind: SecretKind) => flow.secrets.filter((secret) => secret.kind === kind).map((secret) => secret.value);
  expect(kinds('backup code')).toHaveLength(21);
  for (const code of kinds('backup code')) expect(code).toMatch(CODE_FORMAT);
  expect(kinds('TOTP seed')).toHaveLength(3);
  for (const seed of kinds('TOTP seed')) expect(seed).toMatch(/^[A-Z2-7]{32}$/);
  expect(kinds('otpauth URI')[0]).toContain(`secret=${appSecret}`);
  expect(kinds('TOTP code')).toHaveLength(4);
  expect(kinds('SMS code')).toHaveLength(4);
  expect(kinds('email code')).toHaveLength(2);
  for (const code of [...kinds('TOTP code'), ...kinds('SMS code'), ...kinds('email code')]) expect(code).toMatch(/^\d{6}$/);
  // Pending, signed-in and rotated session tokens on both surfaces, and the device cookies.
  expect(kinds('cookie').length).toBeGreaterThanOrEqual(10);
  return { staff, customer: { ...customer, password: NEW_PASSWORD }, ...flow, admin, banking };
}

interface Spelling {
  /** How the secret is spelled here, named without the secret itself. */
  name: string;
  text: string;
}

/**
 * Every spelling a secret could take in text: as given, without dashes, in lower case, each of
 * them in base64, base64url and URL encoding; a TOTP seed's bytes in hex and base64 too, and a
 * token's SHA-256 where `withTokenHashes` (the sessions table keeps exactly that, by design).
 */
function spellingsOf(secret: Secret, options: { withTokenHashes: boolean }): Spelling[] {
  const spellings = new Map<string, string>();
  const add = (name: string, text: string) => {
    if (text !== '' && !spellings.has(text)) spellings.set(text, name);
  };
  const variants: [string, string][] = [
    ['as given', secret.value],
    ['lower case', secret.value.toLowerCase()],
    ['without dashes', secret.value.replaceAll('-', '')],
    ['lower case without dashes', secret.value.replaceAll('-', '').toLowerCase()],
  ];
  for (const [name, text] of variants) {
    add(name, text);
    add(`${name}, base64`, Buffer.from(text).toString('base64').replace(/=+$/, ''));
    add(`${name}, base64url`, Buffer.from(text).toString('base64url'));
    add(`${name}, URL-encoded`, encodeURIComponent(text));
    add(`${name}, form-encoded`, new URLSearchParams({ v: text }).toString().slice(2));
  }
  if (secret.kind === 'TOTP seed') {
    const bytes = Buffer.from(OTPAuth.Secret.fromBase32(secret.value).bytes);
    add('seed bytes, hex', bytes.toString('hex'));
    add('seed bytes, base64', bytes.toString('base64').replace(/=+$/, ''));
    add('seed bytes, base64url', bytes.toString('base64url'));
  }
  if (secret.kind === 'cookie' && options.withTokenHashes) add('SHA-256', sha256Hex(secret.value));
  return [...spellings].map(([text, name]) => ({ name, text }));
}

/** A six-digit code only counts standing alone: not inside a longer number, nor as a timestamp's microseconds. */
function occursIn(text: string, spelling: string): boolean {
  if (!/^\d+$/.test(spelling)) return text.includes(spelling);
  return new RegExp(`(?<![0-9A-Za-z.])${spelling}(?![0-9A-Za-z])`).test(text);
}

interface Source {
  name: string;
  text: string;
  /** Secrets this source hands out by design, and may therefore hold. */
  delivers?: (secret: Secret) => boolean;
}

interface Leak {
  source: string;
  kind: SecretKind;
  spelling: string;
}

function leaksIn(sources: Source[], secrets: Secret[], options: { withTokenHashes: boolean }): Leak[] {
  const probes = secrets.map((secret) => ({ secret, spellings: spellingsOf(secret, options) }));
  const leaks: Leak[] = [];
  for (const source of sources) {
    for (const { secret, spellings } of probes) {
      if (source.delivers?.(secret) === true) continue;
      for (const spelling of spellings) {
        if (occursIn(source.text, spelling.text)) leaks.push({ source: source.name, kind: secret.kind, spelling: spelling.name });
      }
    }
  }
  return leaks;
}

/** Every row of every table of the test's schema, as PostgreSQL's text form of the row. */
async function dumpDatabase(harness: Harness): Promise<Map<string, string[]>> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = ${harness.database.schema} AND table_type = 'BASE TABLE'
    ORDER BY table_name`.execute(harness.deps.db);
  const dump = new Map<string, string[]>();
  for (const { table_name: table } of tables.rows) {
    const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.id(harness.database.schema, table)} t`.execute(harness.deps.db);
    dump.set(table, rows.rows.map((row) => row.row));
  }
  return dump;
}

/** Sends what the outbox holds through the log transport into the app's own log, as a server without SMTP or SMS gateway does. */
async function deliverOutboxToTheLog(harness: Harness): Promise<number> {
  const transport = createNotificationTransport({ email: { kind: 'log' }, sms: { kind: 'log' }, supportContact: SUPPORT_CONTACT }, harness.app.log);
  const deps = { db: harness.deps.db, keys: harness.deps.keys, transport, supportContact: SUPPORT_CONTACT, log: harness.app.log };
  let sent = 0;
  for (let round = await deliverDueNotifications(deps, harness.clock.now()); round.claimed > 0; round = await deliverDueNotifications(deps, harness.clock.now())) {
    expect(round.failed, harness.logs.filter((line) => line.includes("not sent")).join("\n")).toBe(0);
    sent += round.sent;
  }
  await transport.close();
  return sent;
}

describeEachEngine('no secret at rest, in the logs or in a reply that does not deliver it', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('the whole flow at debug: no password, code, TOTP seed or token in a log line, a row of any table, or a reply but its delivery', async () => {
    const flow = await runSecretFlow(harness);

    // At rest. The outbox really holds the codes it is to send, sealed (the flow opened them there).
    const dump = await dumpDatabase(harness);
    const sealed = await harness.deps.db.selectFrom('notifications').select(['kind', 'secret_ciphertext']).where('kind', 'in', ['sms_code', 'email_confirmation']).execute();
    expect(sealed.map((row) => row.kind).sort()).toEqual(['email_confirmation', 'sms_code', 'sms_code']);
    for (const row of sealed) expect(row.secret_ciphertext).toEqual(expect.any(String));
    for (const table of ['users', 'sessions', 'factors', 'backup_codes', 'sms_codes', 'audit_events', 'notifications']) expect(dump.get(table)?.length ?? 0, table).toBeGreaterThan(0);
    expect(dump.get('backup_codes')).toHaveLength(20);
    expect(dump.get('factors')).toHaveLength(4);
    const auditTypes = (await harness.deps.db.selectFrom('audit_events').select('type').execute()).map((row) => row.type);
    expect(auditTypes).toEqual(expect.arrayContaining(['backup_codes.generated', 'backup_codes.redeemed', 'password.changed', 'email_change.confirmed', 'factor.sms_confirmed', 'second_factor.failed', 'sign_in.password_failed']));
    const everyRow = [...dump.values()].flat();
    expect(everyRow.some((row) => row.includes('ticket 4711'))).toBe(true);

    // In the log, with signing out, and what the outbox sends written to it as a server without SMTP does.
    expect((await flow.banking.post('/api/banking/logout')).statusCode).toBe(204);
    expect((await flow.admin.post('/api/admin/logout')).statusCode).toBe(204);
    expect(await deliverOutboxToTheLog(harness)).toBe(dump.get('notifications')!.length);
    expect(harness.logs.length).toBeGreaterThan(80);
    for (const path of [`/api/admin/users/${flow.customer.id}/backup-codes`, '/api/banking/me/password', '/api/banking/me/email/confirm', '/api/banking/login/challenge', 'notification delivered to the log']) {
      expect(harness.logs.some((line) => line.includes(path)), path).toBe(true);
    }

    const replies: Source[] = flow.exchanges.map(({ request, reply }, index) => {
      const { 'set-cookie': _cookies, ...headers } = reply.headers;
      return { name: `reply ${index + 1} (${request})`, text: `${JSON.stringify(headers)}\n${reply.body}`, delivers: (secret) => secret.deliveredIn === reply };
    });
    const sources = {
      logs: harness.logs.map((line, index) => ({ name: `log line ${index + 1}`, text: line })),
      rows: [...dump].flatMap(([table, rows]) => rows.map((row, index) => ({ name: `${table} row ${index + 1}`, text: row }))),
    };
    const spellings = flow.secrets.reduce((sum, secret) => sum + spellingsOf(secret, { withTokenHashes: true }).length, 0);
    const deliveries = flow.secrets.filter((secret) => secret.deliveredIn !== null).length;
    console.info(
      `[${engine}] ${flow.secrets.length} secrets (${spellings} spellings) searched in ${sources.logs.length} log lines, ` +
        `${sources.rows.length} rows of ${dump.size} tables (${dump.get('audit_events')!.length} audit events, ${dump.get('notifications')!.length} outbox rows) ` +
        `and ${replies.length} replies (${deliveries} secrets allowed only in the ${flow.secretReplies.length} replies that deliver them)`,
    );
    // The search is real: without their exemption, exactly the three delivering replies are found holding secrets.
    const delivered = leaksIn(replies.map(({ delivers: _exempt, ...reply }) => reply), flow.secrets, { withTokenHashes: true });
    expect(new Set(delivered.map((leak) => leak.source)).size).toBe(flow.secretReplies.length);
    expect(new Set(delivered.map((leak) => leak.kind))).toEqual(new Set(['backup code', 'TOTP seed', 'otpauth URI']));
    expect(leaksIn([...sources.logs, ...replies], flow.secrets, { withTokenHashes: true })).toEqual([]);
    // A session token's SHA-256 is what the sessions table keeps, by design.
    expect(leaksIn(sources.rows, flow.secrets, { withTokenHashes: false })).toEqual([]);
    // Fields that are secrets by name never reach the log in clear (the redaction is real).
    expect(harness.logs.filter((line) => /"(password|currentPassword|newPassword|code|codes|token|secret|otpauthUri)":(?!"\[redacted\]")/.test(line))).toEqual([]);
  });

  it('every reply carrying codes or a TOTP seed is Cache-Control: no-store', async () => {
    const flow = await runSecretFlow(harness);
    expect(flow.secretReplies.map((entry) => entry.name)).toEqual(['staff generation', 'own backup codes', 'TOTP enrolment']);
    for (const { name, reply } of flow.secretReplies) {
      expect({ name, cacheControl: reply.headers['cache-control'] }).toEqual({ name, cacheControl: 'no-store' });
    }
    // So are the replies that hand out a session token.
    const client = harness.client();
    const login = await client.post('/api/banking/login', { username: flow.customer.username, password: flow.customer.password });
    expect(login.headers['set-cookie']).toBeDefined();
    expect(login.headers['cache-control']).toBe('no-store');
  });

  it('the user detail in the Admin Platform and the own two-factor status never show a code', async () => {
    const flow = await runSecretFlow(harness);
    const stored = await harness.deps.db.selectFrom('backup_codes').select(['lookup', 'hash']).execute();
    const factors = await harness.deps.db.selectFrom('factors').select(['secret_ciphertext']).execute();
    const storedForms = [...stored.flatMap((row) => [row.lookup, row.hash]), ...factors.flatMap((row) => (row.secret_ciphertext === null ? [] : [row.secret_ciphertext]))];

    const detail = await flow.admin.get(`/api/admin/users/${flow.customer.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json().twoFactor.backupCodes).toMatchObject({ remaining: 10, origin: 'self', expiresAt: null });
    const status = await flow.banking.get('/api/banking/me/two-factor');
    expect(status.statusCode).toBe(200);
    expect(status.json().factors).toHaveLength(3);

    for (const reply of [detail, status]) {
      expect(leaksIn([{ name: 'reply', text: reply.body }], flow.secrets, { withTokenHashes: true })).toEqual([]);
      for (const form of storedForms) expect(reply.body).not.toContain(form);
      expect(reply.body).not.toMatch(/"(codes?|hash|lookup|secret|secretCiphertext|otpauthUri)"/);
    }
  });
});

describe('the logger', () => {
  const logLines = (write: (logger: ReturnType<typeof createLogger>) => void): Record<string, unknown>[] => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    write(createLogger('debug', sink));
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  };

  it('redacts password, code, codes, token and secret fields, at the top level and nested', () => {
    const secrets = { password: 'hunter2-password', code: '7KQ4-M9XT-2HCW-P3RD', codes: ['AAAA-BBBB-CCCC-DDDD'], token: 'tok_abcdef', secret: 'JBSWY3DPEHPK3PXP' };
    const [top, nested] = logLines((logger) => {
      logger.info({ ...secrets, userId: 'u-1' }, 'top level');
      logger.info({ body: { ...secrets, username: 'alice' } }, 'nested');
    });
    expect(top).toMatchObject({ msg: 'top level', userId: 'u-1', password: '[redacted]', code: '[redacted]', codes: '[redacted]', token: '[redacted]', secret: '[redacted]' });
    expect(nested).toMatchObject({ msg: 'nested', body: { username: 'alice', password: '[redacted]', code: '[redacted]', codes: '[redacted]', token: '[redacted]', secret: '[redacted]' } });
    const text = JSON.stringify([top, nested]);
    for (const value of [secrets.password, secrets.code, secrets.codes[0]!, secrets.token, secrets.secret]) expect(text).not.toContain(value);
  });

  it('redacts cookie and authorization headers, set-cookie headers of replies, and request bodies', () => {
    const [line] = logLines((logger) => {
      logger.info(
        {
          req: {
            method: 'POST',
            url: '/api/banking/me/password',
            headers: { cookie: 'latchkey_banking=sessiontoken123', authorization: 'Basic dXNlcjpwYXNzd29yZA==', 'user-agent': 'ua' },
            body: { currentPassword: 'old-password-1', newPassword: 'new-password-2' },
          },
          res: { statusCode: 200, headers: { 'set-cookie': 'latchkey_banking=newtoken456; HttpOnly' } },
          headers: { cookie: 'latchkey_admin=othertoken789', authorization: 'Bearer bearertoken000', 'set-cookie': 'latchkey_device_admin=devicetoken111' },
        },
        'request',
      );
    });
    expect(line).toMatchObject({
      req: { url: '/api/banking/me/password', headers: { cookie: '[redacted]', authorization: '[redacted]', 'user-agent': 'ua' }, body: '[redacted]' },
      res: { statusCode: 200, headers: { 'set-cookie': '[redacted]' } },
      headers: { cookie: '[redacted]', authorization: '[redacted]', 'set-cookie': '[redacted]' },
    });
    const text = JSON.stringify(line);
    for (const secret of ['sessiontoken123', 'dXNlcjpwYXNzd29yZA', 'old-password-1', 'new-password-2', 'newtoken456', 'othertoken789', 'bearertoken000', 'devicetoken111']) {
      expect(text).not.toContain(secret);
    }
  });
});
