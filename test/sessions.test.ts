// Sessions over HTTP (SPEC §3, §7; SECURITY.md §2, §10): cookies, tokens stored hashed,
// rotation, time-outs, logout, the Origin check, uniform refusals, surfaces, and enrolment
// of a first factor. On both engines.
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Client, type Harness, TEST_ORIGIN, type TestUser, addUser, currentTotp, signIn, startHarness } from '../src/testing/harness.js';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';

const FOREIGN_ORIGIN = 'https://evil.example';

function setCookies(response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie'];
  return Array.isArray(header) ? header : header === undefined ? [] : [header];
}

function parseSetCookie(line: string): { name: string; value: string; attributes: string[] } {
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  const index = pair.indexOf('=');
  return { name: pair.slice(0, index), value: pair.slice(index + 1), attributes };
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A 6-digit code that matches no step within the drift window at `now`. */
function wrongCode(secretBase32: string, now: Date): string {
  const window = new Set([-60, -30, 0, 30, 60].map((offset) => totpCodeAt({ secretBase32 }, new Date(now.getTime() + offset * 1000))));
  let candidate = 123456;
  while (window.has(String(candidate).padStart(6, '0'))) candidate += 1;
  return String(candidate).padStart(6, '0');
}

describeEachEngine('sessions', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  /** A request outside any client's cookie jar: exactly the headers given. */
  const raw = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options: { cookie?: string; origin?: string; body?: unknown } = {},
  ): Promise<LightMyRequestResponse> =>
    harness.app.inject({
      method,
      url,
      headers: {
        'user-agent': 'latchkey-tests',
        ...(options.origin === undefined ? {} : { origin: options.origin }),
        ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
      },
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });

  const sessionRows = (userId: string) =>
    harness.deps.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).execute();

  const login = async (client: Client, user: TestUser, surface: 'banking' | 'admin') => {
    const reply = await client.post(`/api/${surface}/login`, { username: user.username, password: user.password });
    expect(reply.statusCode).toBe(200);
    return reply;
  };

  it('sets one HttpOnly, SameSite=Strict, Path=/ cookie per surface, without Secure over http', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const staff = await addUser(harness, { kind: 'staff' });

    const banking = await login(harness.client(), customer, 'banking');
    const admin = await login(harness.client(), staff, 'admin');
    for (const [reply, name] of [[banking, 'latchkey_banking'], [admin, 'latchkey_admin']] as const) {
      const lines = setCookies(reply);
      expect(lines).toHaveLength(1);
      const cookie = parseSetCookie(lines[0]!);
      expect(cookie.name).toBe(name);
      expect(cookie.attributes).toContain('HttpOnly');
      expect(cookie.attributes).toContain('SameSite=Strict');
      expect(cookie.attributes).toContain('Path=/');
      expect(cookie.attributes.map((attribute) => attribute.toLowerCase())).not.toContain('secure');
      expect(cookie.attributes.some((attribute) => /^(max-age|expires)=/i.test(attribute))).toBe(false);
    }
  });

  it('gives a token of at least 256 bits and stores only its SHA-256', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    const token = client.cookie('latchkey_banking')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);

    const rows = await sessionRows(customer.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toBe(token);
    expect(rows[0]!.token_hash).toBe(sha256Hex(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('gives a different token to every session', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const tokens = new Set<string>();
    for (let index = 0; index < 5; index += 1) {
      const client = harness.client();
      await login(client, customer, 'banking');
      tokens.add(client.cookie('latchkey_banking')!);
    }
    expect(tokens.size).toBe(5);
  });

  it('rotates the token at the second factor; the pending token is then refused', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client();
    await login(client, customer, 'banking');
    const pending = client.cookie('latchkey_banking')!;
    harness.clock.advance(30);
    const verify = await client.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expect(verify.statusCode).toBe(200);
    const active = client.cookie('latchkey_banking')!;
    expect(active).not.toBe(pending);
    expect(active).toMatch(/^[A-Za-z0-9_-]{43,}$/);

    expect((await raw('GET', '/api/banking/me', { cookie: `latchkey_banking=${pending}` })).statusCode).toBe(401);
    harness.clock.advance(30);
    const replayed = await raw('POST', '/api/banking/login/verify', {
      cookie: `latchkey_banking=${pending}`,
      origin: TEST_ORIGIN,
      body: { factorId: customer.totpFactorId, code: currentTotp(harness, customer) },
    });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json().error.code).toBe('unauthenticated');
    expect((await raw('GET', '/api/banking/me', { cookie: `latchkey_banking=${active}` })).statusCode).toBe(200);
    const rows = await sessionRows(customer.id);
    expect(rows.map((row) => row.token_hash)).toEqual([sha256Hex(active)]);
  });

  it('rotates the token at re-authentication; the old token is then refused', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    const before = client.cookie('latchkey_banking')!;
    harness.clock.advance(30);
    const step = await client.post('/api/banking/reauthenticate', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expect(step.statusCode).toBe(204);
    const after = client.cookie('latchkey_banking')!;
    expect(after).not.toBe(before);

    const old = await raw('GET', '/api/banking/me', { cookie: `latchkey_banking=${before}` });
    expect(old.statusCode).toBe(401);
    expect(old.json().error.code).toBe('unauthenticated');
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
    expect(await sessionRows(customer.id)).toHaveLength(1);
  });

  it('ends a session idle for more than 15 minutes', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    harness.clock.advance(899);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
    // That request counted as activity: another 899 s is still within the idle limit.
    harness.clock.advance(899);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
    harness.clock.advance(901);
    const expired = await client.get('/api/banking/me');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('unauthenticated');
    // Gone for good, not merely asleep.
    harness.clock.advance(-901);
    expect((await client.get('/api/banking/me')).statusCode).toBe(401);
  });

  it('ends a session 12 hours after sign-in however active it is', async () => {
    const staff = await addUser(harness, { kind: 'staff' });
    const signInStartedAt = harness.clock.now().getTime();
    const client = await signIn(harness, staff, 'admin');
    const elapsedSeconds = () => (harness.clock.now().getTime() - signInStartedAt) / 1000;
    let requests = 0;
    while (elapsedSeconds() + 600 <= 12 * 3600) {
      harness.clock.advance(600);
      const reply = await client.get('/api/admin/me');
      expect(reply.statusCode, `after ${elapsedSeconds()} s`).toBe(200);
      requests += 1;
    }
    expect(requests).toBe(71);
    harness.clock.advance(600);
    const expired = await client.get('/api/admin/me');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('unauthenticated');
  });

  it('ends a pending session after 10 minutes', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const late = harness.client();
    const onTime = harness.client();
    await login(late, customer, 'banking');
    await login(onTime, customer, 'banking');

    harness.clock.advance(599);
    const verified = await onTime.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expect(verified.statusCode).toBe(200);

    harness.clock.advance(32);
    const expired = await late.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('unauthenticated');
  });

  it('logs out: 204, the cookie cleared, the old token refused, the row gone', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    const token = client.cookie('latchkey_banking')!;
    const logout = await client.post('/api/banking/logout');
    expect(logout.statusCode).toBe(204);
    const cleared = parseSetCookie(setCookies(logout)[0]!);
    expect(cleared.name).toBe('latchkey_banking');
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toContain('Max-Age=0');

    const old = await raw('GET', '/api/banking/me', { cookie: `latchkey_banking=${token}` });
    expect(old.statusCode).toBe(401);
    expect(await sessionRows(customer.id)).toHaveLength(0);
  });

  it('logs out only the session that asks: another session of the user lives on', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const first = await signIn(harness, customer, 'banking');
    const second = await signIn(harness, customer, 'banking');
    expect((await first.post('/api/banking/logout')).statusCode).toBe(204);
    expect((await first.get('/api/banking/me')).statusCode).toBe(401);
    expect((await second.get('/api/banking/me')).statusCode).toBe(200);
  });

  it('refuses state-changing requests without this server as Origin: 403 csrf_failed', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const staff = await addUser(harness, { kind: 'staff', permissions: ['users.generate_lockout_codes', 'users.view'] });
    const credentials = { username: customer.username, password: customer.password };

    const expectCsrf = (reply: LightMyRequestResponse) => {
      expect(reply.statusCode).toBe(403);
      expect(reply.json().error.code).toBe('csrf_failed');
      expect(setCookies(reply)).toEqual([]);
    };

    // login
    for (const origin of [undefined, FOREIGN_ORIGIN, 'null', 'http://localhost:8080']) {
      expectCsrf(await raw('POST', '/api/banking/login', { ...(origin === undefined ? {} : { origin }), body: credentials }));
    }
    expect(await sessionRows(customer.id)).toHaveLength(0);

    // verify: refused before the code is looked at, so the same code still works afterwards
    const client = harness.client();
    await login(client, customer, 'banking');
    const pending = `latchkey_banking=${client.cookie('latchkey_banking')}`;
    harness.clock.advance(30);
    const code = { factorId: customer.totpFactorId, code: currentTotp(harness, customer) };
    expectCsrf(await raw('POST', '/api/banking/login/verify', { cookie: pending, body: code }));
    expectCsrf(await raw('POST', '/api/banking/login/verify', { cookie: pending, origin: FOREIGN_ORIGIN, body: code }));
    expect((await client.post('/api/banking/login/verify', code)).statusCode).toBe(200);
    const active = `latchkey_banking=${client.cookie('latchkey_banking')}`;

    // GET needs no Origin
    expect((await raw('GET', '/api/banking/me', { cookie: active })).statusCode).toBe(200);

    // the user's own backup codes
    expectCsrf(await raw('POST', '/api/banking/me/backup-codes', { cookie: active }));
    expectCsrf(await raw('POST', '/api/banking/me/backup-codes', { cookie: active, origin: FOREIGN_ORIGIN }));
    expect((await client.get('/api/banking/me/two-factor')).json().backupCodes).toBeNull();

    // staff-issued backup codes
    const adminClient = await signIn(harness, staff, 'admin');
    const adminCookie = `latchkey_admin=${adminClient.cookie('latchkey_admin')}`;
    expectCsrf(await raw('POST', `/api/admin/users/${customer.id}/backup-codes`, { cookie: adminCookie, body: {} }));
    expectCsrf(await raw('POST', `/api/admin/users/${customer.id}/backup-codes`, { cookie: adminCookie, origin: FOREIGN_ORIGIN, body: {} }));
    expect((await client.get('/api/banking/me/two-factor')).json().backupCodes).toBeNull();

    // logout
    expectCsrf(await raw('POST', '/api/banking/logout', { cookie: active }));
    expectCsrf(await raw('POST', '/api/banking/logout', { cookie: active, origin: FOREIGN_ORIGIN }));
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);

    // and with this server as Origin, the same requests go through
    expect((await adminClient.post(`/api/admin/users/${customer.id}/backup-codes`, {})).statusCode).toBe(201);
    expect((await client.post('/api/banking/logout')).statusCode).toBe(204);
  });

  it('answers wrong username, wrong password, disabled user and wrong surface with one and the same 401', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const disabled = await addUser(harness, { kind: 'customer' });
    const staff = await addUser(harness, { kind: 'staff', isAdmin: true });
    await harness.deps.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();

    const attempts = [
      ['banking', { username: 'nobody-by-this-name', password: customer.password }],
      ['banking', { username: customer.username, password: `${customer.password}!` }],
      ['banking', { username: disabled.username, password: disabled.password }],
      ['banking', { username: staff.username, password: staff.password }],
      ['admin', { username: customer.username, password: customer.password }],
    ] as const;
    const replies = [];
    for (const [surface, body] of attempts) replies.push(await harness.client().post(`/api/${surface}/login`, body));
    for (const reply of replies) {
      expect(reply.statusCode).toBe(401);
      expect(reply.json()).toEqual({ error: { code: 'invalid_credentials', message: expect.any(String) } });
      expect(reply.body).toBe(replies[0]!.body);
      expect(setCookies(reply)).toEqual([]);
      expect(reply.headers['content-type']).toBe(replies[0]!.headers['content-type']);
    }
    expect(await sessionRows(disabled.id)).toHaveLength(0);
    expect(await sessionRows(staff.id)).toHaveLength(0);

    // The same people with the right password on their own surface are let through (so the
    // refusals above are about the surface and the status, not a broken fixture).
    expect((await harness.client().post('/api/admin/login', { username: staff.username, password: staff.password })).statusCode).toBe(200);
    expect((await harness.client().post('/api/banking/login', { username: customer.username, password: customer.password })).statusCode).toBe(200);
  });

  it('ends the session of a user who is disabled while signed in', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    await harness.deps.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', customer.id).execute();
    expect((await client.get('/api/banking/me')).statusCode).toBe(401);
  });

  it('keeps the surfaces apart: a banking session opens nothing on the admin surface, and back', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const staff = await addUser(harness, { kind: 'staff', isAdmin: true, permissions: ['users.view', 'users.generate_lockout_codes'] });
    const banking = await signIn(harness, customer, 'banking');
    const admin = await signIn(harness, staff, 'admin');
    const bankingToken = banking.cookie('latchkey_banking')!;
    const adminToken = admin.cookie('latchkey_admin')!;
    expect(banking.cookie('latchkey_admin')).toBeUndefined();
    expect(admin.cookie('latchkey_banking')).toBeUndefined();

    // A customer cannot sign in to the admin surface…
    const customerOnAdmin = await harness.client().post('/api/admin/login', { username: customer.username, password: customer.password });
    expect(customerOnAdmin.statusCode).toBe(401);
    expect(customerOnAdmin.json().error.code).toBe('invalid_credentials');
    // …nor carry a banking session over to it under the admin cookie's name.
    for (const url of ['/api/admin/me', '/api/admin/users', `/api/admin/users/${customer.id}`]) {
      const reply = await raw('GET', url, { cookie: `latchkey_admin=${bankingToken}` });
      expect(reply.statusCode, url).toBe(401);
    }
    const smuggled = await raw('POST', `/api/admin/users/${customer.id}/backup-codes`, {
      cookie: `latchkey_admin=${bankingToken}`,
      origin: TEST_ORIGIN,
      body: {},
    });
    expect(smuggled.statusCode).toBe(401);
    // And the other way round.
    expect((await raw('GET', '/api/banking/me', { cookie: `latchkey_banking=${adminToken}` })).statusCode).toBe(401);
    // Each works on its own surface.
    expect((await raw('GET', '/api/banking/me', { cookie: `latchkey_banking=${bankingToken}` })).statusCode).toBe(200);
    expect((await raw('GET', '/api/admin/me', { cookie: `latchkey_admin=${adminToken}` })).statusCode).toBe(200);
  });

  it('makes a user without a factor enrol one before anything else, then signs them in', async () => {
    const customer = await addUser(harness, { kind: 'customer', withTotp: false });
    const client = harness.client();
    const started = await client.post('/api/banking/login', { username: customer.username, password: customer.password });
    expect(started.statusCode).toBe(200);
    expect(started.json()).toEqual({ status: 'enrollment_required' });
    const enrolling = client.cookie('latchkey_banking')!;

    // Only the enrolment endpoints answer.
    const me = await client.get('/api/banking/me');
    expect(me.statusCode).toBe(401);
    expect(me.json().error.code).toBe('unauthenticated');
    expect((await client.post('/api/banking/me/backup-codes')).statusCode).toBe(401);
    const status = await client.get('/api/banking/me/two-factor');
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({ factors: [], backupCodes: null, smsAvailable: true });

    const enrolled = await client.post('/api/banking/me/two-factor/totp');
    expect(enrolled.statusCode).toBe(201);
    expect(enrolled.headers['cache-control']).toBe('no-store');
    const { factorId, secret, otpauthUri, qrSvg } = enrolled.json() as { factorId: string; secret: string; otpauthUri: string; qrSvg: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Latchkey');
    expect(qrSvg.trimStart().startsWith('<svg') || qrSvg.trimStart().startsWith('<?xml')).toBe(true);

    // Not active before it is confirmed: not listed, and /me still refused.
    expect((await client.get('/api/banking/me/two-factor')).json().factors).toEqual([]);
    expect((await client.get('/api/banking/me')).statusCode).toBe(401);

    const wrong = await client.post(`/api/banking/me/two-factor/totp/${factorId}/confirm`, { code: wrongCode(secret, harness.clock.now()) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_code');
    expect(client.cookie('latchkey_banking')).toBe(enrolling);
    expect((await client.get('/api/banking/me')).statusCode).toBe(401);

    const confirmed = await client.post(`/api/banking/me/two-factor/totp/${factorId}/confirm`, {
      code: totpCodeAt({ secretBase32: secret }, harness.clock.now()),
    });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toEqual({ status: 'signed_in' });
    const signedIn = client.cookie('latchkey_banking')!;
    expect(signedIn).not.toBe(enrolling);
    expect((await raw('GET', '/api/banking/me/two-factor', { cookie: `latchkey_banking=${enrolling}` })).statusCode).toBe(401);

    const meNow = await client.get('/api/banking/me');
    expect(meNow.statusCode).toBe(200);
    expect(meNow.json().user).toMatchObject({ id: customer.id, username: customer.username, kind: 'customer' });

    // The secret is shown once: never again.
    const after = await client.get('/api/banking/me/two-factor');
    expect(after.statusCode).toBe(200);
    expect(after.json().factors).toEqual([{ id: factorId, type: 'totp', label: 'Authenticator app', createdAt: expect.any(String) }]);
    expect(after.body).not.toContain(secret);
    expect(after.body).not.toContain('otpauth');

    // The next sign-in asks for the new factor.
    const next = await harness.client().post('/api/banking/login', { username: customer.username, password: customer.password });
    expect(next.json()).toEqual({ status: 'second_factor_required', factors: [{ id: factorId, type: 'totp', label: 'Authenticator app' }] });
  });

  it('asks for a recent second factor to add or remove a factor, and keeps the last one', async () => {
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');

    // The only factor cannot go.
    const last = await client.delete(`/api/banking/me/two-factor/factors/${customer.totpFactorId}`);
    expect(last.statusCode).toBe(409);

    // 15 minutes after the second factor (the session kept alive meanwhile) it is no longer recent.
    harness.clock.advance(600);
    expect((await client.get('/api/banking/me')).statusCode).toBe(200);
    harness.clock.advance(301);
    const stale = await client.post('/api/banking/me/two-factor/totp');
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('reauthentication_required');
    const staleDelete = await client.delete(`/api/banking/me/two-factor/factors/${customer.totpFactorId}`);
    expect(staleDelete.statusCode).toBe(401);
    expect(staleDelete.json().error.code).toBe('reauthentication_required');
    expect((await client.get('/api/banking/me/two-factor')).json().factors).toHaveLength(1);

    const step = await client.post('/api/banking/reauthenticate', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expect(step.statusCode).toBe(204);

    const enrolled = await client.post('/api/banking/me/two-factor/totp');
    expect(enrolled.statusCode).toBe(201);
    const { factorId, secret } = enrolled.json() as { factorId: string; secret: string };
    expect(secret).not.toBe(customer.totpSecret);
    const tokenBeforeConfirm = client.cookie('latchkey_banking');
    const confirmed = await client.post(`/api/banking/me/two-factor/totp/${factorId}/confirm`, {
      code: totpCodeAt({ secretBase32: secret }, harness.clock.now()),
    });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toEqual({ status: 'confirmed' });
    expect(client.cookie('latchkey_banking')).toBe(tokenBeforeConfirm);
    const listed = (await client.get('/api/banking/me/two-factor')).json().factors as { id: string }[];
    expect(listed.map((factor) => factor.id).sort()).toEqual([customer.totpFactorId, factorId].sort());

    // With two factors, one may go; the other is then the last.
    expect((await client.delete(`/api/banking/me/two-factor/factors/${customer.totpFactorId}`)).statusCode).toBe(204);
    const remaining = (await client.get('/api/banking/me/two-factor')).json().factors as { id: string }[];
    expect(remaining.map((factor) => factor.id)).toEqual([factorId]);
    const lastAgain = await client.delete(`/api/banking/me/two-factor/factors/${factorId}`);
    expect(lastAgain.statusCode).toBe(409);
    expect((await client.get('/api/banking/me/two-factor')).json().factors).toHaveLength(1);

    // The removed factor no longer signs anyone in.
    const fresh = harness.client();
    await login(fresh, customer, 'banking');
    harness.clock.advance(30);
    const removed = await fresh.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) });
    expect(removed.statusCode).toBe(401);
    expect(removed.json().error.code).toBe('invalid_code');
  });

  it('serves an OpenAPI 3 document and health probes', async () => {
    const openapi = await raw('GET', '/api/openapi.json');
    expect(openapi.statusCode).toBe(200);
    const document = openapi.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.paths['/api/admin/users/{id}/backup-codes']).toHaveProperty('post');
    expect(document.paths['/api/banking/login']).toHaveProperty('post');
    expect(document.paths['/api/admin/login']).toHaveProperty('post');

    const health = await raw('GET', '/healthz');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await raw('GET', '/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok' });
  });
});
