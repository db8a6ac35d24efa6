// No secret at rest or in the logs (SPEC §2, SECURITY.md §6.2, §6.3, §13.2): after the seed
// flow and a user's own codes and TOTP enrolment, no backup code, TOTP seed, password or
// session token appears in any column of any table nor in any log line; replies that carry
// one are `Cache-Control: no-store`; the status endpoints never show a code.
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/shared/logger.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, type TestUser, TEST_PASSWORD, addUser, currentTotp, startHarness } from '../src/testing/harness.js';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';

const CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;
const WRONG_PASSWORD = 'not the password of anyone 8c1f';

interface SecretFlow {
  staff: TestUser;
  customer: TestUser;
  /** The codes staff generated for the customer, and the customer's own set. */
  codes: string[];
  /** Every TOTP seed involved: both users' and the one enrolled over HTTP. */
  totpSecrets: string[];
  /** The six-digit TOTP codes submitted during the flow. */
  totpCodes: string[];
  /** Every session token the server ever handed out in a cookie. */
  sessionTokens: string[];
  /** Replies that carried a code or a TOTP seed. */
  secretReplies: { name: string; reply: LightMyRequestResponse }[];
  admin: Client;
  banking: Client;
}

/** Remembers every session token set by the server, as a browser would see it. */
function tracked(client: Client, tokens: string[]): Client {
  const request = client.request.bind(client);
  client.request = async (...args) => {
    const reply = await request(...args);
    const setCookie = reply.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const value = /^[^=]+=([^;]*)/.exec(line)?.[1] ?? '';
      if (value !== '') tokens.push(value);
    }
    return reply;
  };
  client.get = (url) => client.request('GET', url);
  client.post = (url, body) => client.request('POST', url, body);
  client.delete = (url) => client.request('DELETE', url);
  return client;
}

/** SPEC §2's seed flow, then the customer's own recovery codes and a new authenticator app. */
async function runSecretFlow(harness: Harness): Promise<SecretFlow> {
  const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'users.view'] });
  const customer = await addUser(harness, { kind: 'customer', firstName: 'Alice', lastName: 'Martin' });
  const sessionTokens: string[] = [];
  const secretReplies: SecretFlow['secretReplies'] = [];

  const admin = tracked(harness.client(), sessionTokens);
  expect((await admin.post('/api/admin/login', { username: staff.username, password: WRONG_PASSWORD })).statusCode).toBe(401);
  expect((await admin.post('/api/admin/login', { username: staff.username, password: staff.password })).statusCode).toBe(200);
  harness.clock.advance(30);
  const staffTotp = currentTotp(harness, staff);
  expect((await admin.post('/api/admin/login/verify', { factorId: staff.totpFactorId, code: staffTotp })).statusCode).toBe(200);
  const generated = await admin.post(`/api/admin/users/${customer.id}/backup-codes`, { note: 'Verified by phone, ticket 4711' });
  expect(generated.statusCode).toBe(201);
  secretReplies.push({ name: 'staff generation', reply: generated });
  const staffCodes = (generated.json() as { codes: string[] }).codes;

  const banking = tracked(harness.client(), sessionTokens);
  expect((await banking.post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
  expect((await banking.post('/api/banking/login/verify', { factorId: 'backup_codes', code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' })).statusCode).toBe(401);
  const redeemed = await banking.post('/api/banking/login/verify', { factorId: 'backup_codes', code: staffCodes[0]!.replaceAll('-', '').toLowerCase() });
  expect(redeemed.statusCode).toBe(200);

  const own = await banking.post('/api/banking/me/backup-codes');
  expect(own.statusCode).toBe(201);
  secretReplies.push({ name: 'own backup codes', reply: own });
  const ownCodes = (own.json() as { codes: string[] }).codes;

  const enrolment = await banking.post('/api/banking/me/two-factor/totp');
  expect(enrolment.statusCode).toBe(201);
  secretReplies.push({ name: 'TOTP enrolment', reply: enrolment });
  const { factorId, secret: enrolledSecret } = enrolment.json() as { factorId: string; secret: string };
  const enrolledTotp = totpCodeAt({ secretBase32: enrolledSecret }, harness.clock.now());
  const confirmed = await banking.post(`/api/banking/me/two-factor/totp/${factorId}/confirm`, { code: enrolledTotp });
  expect(confirmed.statusCode).toBe(200);

  const codes = [...staffCodes, ...ownCodes];
  expect(codes).toHaveLength(20);
  for (const code of codes) expect(code).toMatch(CODE_FORMAT);
  const totpSecrets = [staff.totpSecret!, customer.totpSecret!, enrolledSecret];
  for (const secret of totpSecrets) expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(sessionTokens.length).toBeGreaterThanOrEqual(4);
  return { staff, customer, codes, totpSecrets, totpCodes: [staffTotp, enrolledTotp], sessionTokens, secretReplies, admin, banking };
}

/** Every form a secret could take in text: as shown, without dashes, in lower case. */
function forbiddenStrings(flow: SecretFlow): string[] {
  const forms = new Set<string>();
  for (const code of flow.codes) {
    for (const form of [code, code.replaceAll('-', '')]) {
      forms.add(form);
      forms.add(form.toLowerCase());
    }
  }
  for (const secret of flow.totpSecrets) {
    forms.add(secret);
    forms.add(secret.toLowerCase());
  }
  for (const token of flow.sessionTokens) forms.add(token);
  forms.add(TEST_PASSWORD);
  forms.add(WRONG_PASSWORD);
  return [...forms];
}

function leaksIn(texts: string[], forbidden: string[]): { secret: string; text: string }[] {
  const leaks: { secret: string; text: string }[] = [];
  for (const text of texts) for (const secret of forbidden) if (text.includes(secret)) leaks.push({ secret, text });
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

describeEachEngine('no secret at rest, in the logs or in a cacheable reply', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('no backup code, TOTP seed, password or session token appears in any column of any table', async () => {
    const flow = await runSecretFlow(harness);
    const dump = await dumpDatabase(harness);

    // The dump is real: it holds every table, the hashed codes and what the flow wrote.
    for (const table of ['users', 'sessions', 'factors', 'backup_code_sets', 'backup_codes', 'audit_events', 'user_permissions']) {
      expect(dump.has(table), table).toBe(true);
    }
    expect(dump.get('backup_codes')).toHaveLength(20);
    expect(dump.get('factors')).toHaveLength(3);
    const everything = [...dump.values()].flat();
    expect(everything.some((row) => row.includes(flow.customer.username))).toBe(true);
    expect(everything.some((row) => row.includes('ticket 4711'))).toBe(true);

    expect(leaksIn(everything, forbiddenStrings(flow))).toEqual([]);
  });

  it('no backup code, TOTP seed or code, password or session token appears in any log line', async () => {
    const flow = await runSecretFlow(harness);
    await flow.banking.post('/api/banking/logout');
    await flow.admin.post('/api/admin/logout');

    // The logs are real: every request was logged, with its URL.
    expect(harness.logs.length).toBeGreaterThan(20);
    expect(harness.logs.some((line) => line.includes(`/api/admin/users/${flow.customer.id}/backup-codes`))).toBe(true);
    expect(harness.logs.some((line) => line.includes('/api/banking/login/verify'))).toBe(true);

    const forbidden = forbiddenStrings(flow);
    expect(leaksIn(harness.logs, forbidden)).toEqual([]);
    // A six-digit TOTP code could only show up quoted, as a logged field value.
    expect(leaksIn(harness.logs, flow.totpCodes.map((code) => `"${code}"`))).toEqual([]);
    expect(harness.logs.filter((line) => line.includes('"code"') && !line.includes('"code":"[redacted]"'))).toEqual([]);
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
    const forbidden = [
      ...forbiddenStrings(flow),
      ...stored.flatMap((row) => [row.lookup, row.hash]),
      ...factors.flatMap((row) => (row.secret_ciphertext === null ? [] : [row.secret_ciphertext])),
    ];

    const detail = await flow.admin.get(`/api/admin/users/${flow.customer.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json().twoFactor.backupCodes).toMatchObject({ remaining: 10, origin: 'self', expiresAt: null });
    const status = await flow.banking.get('/api/banking/me/two-factor');
    expect(status.statusCode).toBe(200);
    expect(status.json().factors).toHaveLength(2);

    for (const reply of [detail, status]) {
      expect(leaksIn([reply.body], forbidden)).toEqual([]);
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

  it('redacts cookie headers of requests and set-cookie headers of replies', () => {
    const [line] = logLines((logger) => {
      logger.info(
        {
          req: { method: 'GET', url: '/api/banking/me', headers: { cookie: 'latchkey_banking=sessiontoken123', 'user-agent': 'ua' } },
          res: { statusCode: 200, headers: { 'set-cookie': 'latchkey_banking=newtoken456; HttpOnly' } },
          headers: { cookie: 'latchkey_admin=othertoken789' },
        },
        'request',
      );
    });
    expect(line).toMatchObject({
      req: { url: '/api/banking/me', headers: { cookie: '[redacted]', 'user-agent': 'ua' } },
      res: { statusCode: 200, headers: { 'set-cookie': '[redacted]' } },
      headers: { cookie: '[redacted]' },
    });
    const text = JSON.stringify(line);
    for (const token of ['sessiontoken123', 'newtoken456', 'othertoken789']) expect(text).not.toContain(token);
  });
});
