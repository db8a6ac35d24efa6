// Per-address limits (issue #5; SECURITY.md §3.1, §3.3) over HTTP, on both engines: the
// password step, second-factor codes and texts are limited per address with 429
// too_many_attempts and Retry-After; the address is the socket's unless TRUST_PROXY names the
// proxy in front, so an invented X-Forwarded-For neither dodges a limit nor reaches the audit
// log; one client's failures never lock out another's correct sign-in from the same address;
// counters in Redis are shared by every instance; and a Redis outage lets requests through.
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { errorCatalogue } from '../contract/errors.js';
import { buildApp } from '../src/app.js';
import { type RateLimitSetup, connectRateLimitStore } from '../src/adapters/http/rate-limits.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { Client, type Harness, type TestUser, addUser, currentTotp, generousRateLimits, signIn, startHarness } from '../src/testing/harness.js';
import { createLogger } from '../src/shared/logger.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRONG_PASSWORD = 'not the password at all';
const WRONG_CODE = '000000';

function expectLimited(reply: LightMyRequestResponse, windowInSeconds: number): void {
  expect(reply.statusCode).toBe(429);
  expect(reply.json()).toEqual({ error: { code: 'too_many_attempts', message: errorCatalogue.too_many_attempts.message } });
  const retryAfter = String(reply.headers['retry-after']);
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(windowInSeconds);
}

function expectStatus(reply: LightMyRequestResponse, status: number): void {
  expect(reply.statusCode, reply.body).toBe(status);
}

describeEachEngine('per-address rate limits', (engine) => {
  let harness: Harness;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await harness.close();
  });

  const start = async (options: { rateLimit?: RateLimitSetup; trustProxy?: string[] } = {}) => {
    harness = await startHarness(engine, options);
  };

  const login = (client: Client, username: string, password: string, surface: 'banking' | 'admin' = 'banking') =>
    client.post(`/api/${surface}/login`, { username, password });

  /** The password step, then the TOTP code, from this client. */
  const signInFrom = async (client: Client, user: TestUser) => {
    const passwordStep = await login(client, user.username, user.password);
    if (passwordStep.statusCode !== 200) return passwordStep;
    harness.clock.advance(30);
    return client.post('/api/banking/login/verify', { factorId: user.totpFactorId, code: currentTotp(harness, user) });
  };

  const auditAddresses = async (type: string, targetId: string) =>
    (await harness.deps.db.selectFrom('audit_events').select('ip').where('type', '=', type).where('target_id', '=', targetId).orderBy('at').execute()).map(
      (row) => row.ip,
    );

  /** A confirmed SMS factor beside the user's TOTP, each user with a number of their own. */
  const withSms = async (user: TestUser, index: number) => {
    const factor = await harness.deps.db
      .insertInto('factors')
      .values({ user_id: user.id, type: 'sms', label: 'Text message', phone: `+44770090012${index}`, confirmed_at: harness.clock.now(), created_at: harness.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return factor.id;
  };

  it('refuses the password attempt past the limit for one account from one address: 429 too_many_attempts with Retry-After', async () => {
    await start({ rateLimit: { limits: { passwordAttempts: { max: 3, windowInSeconds: 60 } } } });
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client();
    for (let attempt = 0; attempt < 3; attempt += 1) expectStatus(await login(client, customer.username, WRONG_PASSWORD), 401);
    // Past the limit even the right password is refused, and so is any spelling of the username.
    expectLimited(await login(client, customer.username, customer.password), 60);
    expectLimited(await login(harness.client(), customer.username.toUpperCase(), WRONG_PASSWORD), 60);
    // The refusal comes before the password is checked: no audit row, no session.
    expect(await auditAddresses('sign_in.password_failed', customer.id)).toHaveLength(3);
    expect(await auditAddresses('sign_in.password_succeeded', customer.id)).toHaveLength(0);
    // Another address is not held back.
    expectStatus(await login(harness.client({ remoteAddress: '192.0.2.44' }), customer.username, customer.password), 200);
  });

  it('refuses the sign-in code past the limit per address and session, even the right code', async () => {
    await start({ rateLimit: { limits: { codeAttempts: { max: 3, windowInSeconds: 60 } } } });
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client();
    expectStatus(await login(client, customer.username, customer.password), 200);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expectStatus(await client.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: WRONG_CODE }), 401);
    }
    harness.clock.advance(30);
    expectLimited(await client.post('/api/banking/login/verify', { factorId: customer.totpFactorId, code: currentTotp(harness, customer) }), 60);
  });

  it('limits the step-up and the email confirmation code per address and session', async () => {
    await start({ rateLimit: { limits: { codeAttempts: { max: 2, windowInSeconds: 60 } } } });
    const customer = await addUser(harness, { kind: 'customer' });
    const client = await signIn(harness, customer, 'banking');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expectStatus(await client.post('/api/banking/reauthenticate', { factorId: customer.totpFactorId, code: WRONG_CODE }), 401);
    }
    expectLimited(await client.post('/api/banking/reauthenticate', { factorId: customer.totpFactorId, code: WRONG_CODE }), 60);
    // One budget per session for every code it types.
    expectLimited(await client.post('/api/banking/me/email/confirm', { code: '12345678' }), 60);
    const other = await signIn(harness, await addUser(harness, { kind: 'customer' }), 'banking');
    expect((await other.post('/api/banking/me/email/confirm', { code: '12345678' })).statusCode).not.toBe(429);
  });

  it('limits texts per address across sign-in, step-up and phone verification, counting only texts sent', async () => {
    await start({ rateLimit: { limits: { textsPerAddress: { max: 2, windowInSeconds: 3600 } } } });
    const users = [await addUser(harness, { kind: 'customer' }), await addUser(harness, { kind: 'customer' }), await addUser(harness, { kind: 'customer' })];
    const smsFactors = [await withSms(users[0]!, 0), await withSms(users[1]!, 1), await withSms(users[2]!, 2)];
    const pending = async (index: number, remoteAddress?: string) => {
      const client = harness.client(remoteAddress === undefined ? {} : { remoteAddress });
      expectStatus(await login(client, users[index]!.username, users[index]!.password), 200);
      return client;
    };

    const first = await pending(0);
    // An authenticator-app challenge sends nothing and costs nothing.
    for (let attempt = 0; attempt < 3; attempt += 1) expectStatus(await first.post('/api/banking/login/challenge', { factorId: users[0]!.totpFactorId }), 204);
    expectStatus(await first.post('/api/banking/login/challenge', { factorId: smsFactors[0] }), 204);
    expectStatus(await (await pending(1)).post('/api/banking/login/challenge', { factorId: smsFactors[1] }), 204);
    const third = await pending(2);
    expectLimited(await third.post('/api/banking/login/challenge', { factorId: smsFactors[2] }), 3600);
    // Still nothing against what sends no text, from the same address.
    expectStatus(await third.post('/api/banking/login/challenge', { factorId: users[2]!.totpFactorId }), 204);
    // A step-up by text and a phone to verify draw on the same budget.
    const signedIn = await signIn(harness, users[0]!, 'banking');
    expectLimited(await signedIn.post('/api/banking/reauthenticate/challenge', { factorId: smsFactors[0] }), 3600);
    expectLimited(await signedIn.post('/api/banking/me/two-factor/sms', { phone: '+44 7700 900123' }), 3600);
    // Another address has its own.
    expectStatus(await (await pending(2, '198.51.100.20')).post('/api/banking/login/challenge', { factorId: smsFactors[2] }), 204);
  });

  it('without TRUST_PROXY ignores X-Forwarded-For: a client inventing one per request is still limited, and audited at its socket address', async () => {
    await start({ rateLimit: { limits: { passwordAttempts: { max: 3, windowInSeconds: 60 } } } });
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client({ remoteAddress: '203.0.113.7' });
    const invented = (index: number) => ({ 'x-forwarded-for': `10.${index}.${index}.${index}` });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expectStatus(await client.request('POST', '/api/banking/login', { username: customer.username, password: WRONG_PASSWORD }, invented(attempt)), 401);
    }
    expectLimited(await client.request('POST', '/api/banking/login', { username: customer.username, password: WRONG_PASSWORD }, invented(99)), 60);
    expect(await auditAddresses('sign_in.password_failed', customer.id)).toEqual(['203.0.113.7', '203.0.113.7', '203.0.113.7']);
  });

  it('with TRUST_PROXY naming the proxy limits each forwarded client apart, keys a spoofed chain on its right-most untrusted address, and audits that address', async () => {
    await start({ trustProxy: ['127.0.0.1'], rateLimit: { limits: { passwordAttempts: { max: 3, windowInSeconds: 60 } } } });
    const customer = await addUser(harness, { kind: 'customer' });
    const proxy = harness.client(); // app.inject() comes from 127.0.0.1, the proxy
    const from = (forwardedFor: string, password = WRONG_PASSWORD) =>
      proxy.request('POST', '/api/banking/login', { username: customer.username, password }, { 'x-forwarded-for': forwardedFor });

    for (let attempt = 0; attempt < 3; attempt += 1) expectStatus(await from('198.51.100.1'), 401);
    expectLimited(await from('198.51.100.1'), 60);
    // The client puts a left-most entry of its own; the proxy appends the address it saw.
    expectLimited(await from('6.6.6.6, 198.51.100.1'), 60);
    expectLimited(await from('198.51.100.2, 198.51.100.1', customer.password), 60);
    // Another client behind the same proxy has its own count.
    expectStatus(await from('198.51.100.2'), 401);
    expectStatus(await from('6.6.6.6, 198.51.100.2', customer.password), 200);
    expect(await auditAddresses('sign_in.password_failed', customer.id)).toEqual(['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2']);
    expect(await auditAddresses('sign_in.password_succeeded', customer.id)).toEqual(['198.51.100.2']);
    // A request that does not come through the proxy: its header is ignored.
    const direct = harness.client({ remoteAddress: '192.0.2.9' });
    expectStatus(await direct.request('POST', '/api/banking/login', { username: customer.username, password: WRONG_PASSWORD }, { 'x-forwarded-for': '198.51.100.3' }), 401);
    expect((await auditAddresses('sign_in.password_failed', customer.id)).at(-1)).toBe('192.0.2.9');
  });

  it("one client's wrong passwords never lock out another's correct sign-in from the same address", async () => {
    const ceiling = { max: 5, windowInSeconds: 900 };
    await start({ rateLimit: { limits: { passwordAttempts: { max: 3, windowInSeconds: 60 }, passwordFailuresPerAddress: ceiling } } });
    const [x, y, colleague, sprayed] = [
      await addUser(harness, { kind: 'customer' }),
      await addUser(harness, { kind: 'customer' }),
      await addUser(harness, { kind: 'customer' }),
      await addUser(harness, { kind: 'customer' }),
    ];
    const attacker = harness.client();
    const browserOfY = harness.client();
    // Y has signed in from this browser before, and signed out since.
    expectStatus(await signInFrom(browserOfY, y), 200);
    expectStatus(await browserOfY.post('/api/banking/logout'), 204);
    // X signs in to X's own account too: a device cookie is for one account, and grants X nothing else.
    expectStatus(await signInFrom(attacker, x), 200);

    // X hammers Y's account from the shared address until that is limited (Y's own sign-in
    // from this address, before the browser was known, was the first of the 3)...
    for (let attempt = 0; attempt < 2; attempt += 1) expectStatus(await login(attacker, y.username, WRONG_PASSWORD), 401);
    expectLimited(await login(attacker, y.username, WRONG_PASSWORD), 60);
    // ...then sprays other accounts until the address-wide ceiling (5 failures) is reached.
    for (const username of ['nobody-1', sprayed.username, 'nobody-2']) expectStatus(await login(attacker, username, WRONG_PASSWORD), 401);
    expectLimited(await login(attacker, 'nobody-3', WRONG_PASSWORD), 900);
    // Past the ceiling a right guess is refused too: the ceiling is not an oracle.
    expectLimited(await login(attacker, sprayed.username, sprayed.password), 900);

    // Y, behind the same address, signs in to the account X hammered, with the right password.
    expectStatus(await signInFrom(browserOfY, y), 200);
    expect((await browserOfY.get('/api/banking/me')).json().user.username).toBe(y.username);
    // The limit of the design: a browser new to its account waits while the ceiling holds.
    expectLimited(await login(harness.client(), colleague.username, colleague.password), 900);
    // And a new browser is not held back at another address.
    expectStatus(await signInFrom(harness.client({ remoteAddress: '192.0.2.50' }), colleague), 200);
  });

  it('limits wrong passwords per account from any address, unknown usernames alike, but never the owner’s known browser', async () => {
    await start({ rateLimit: { limits: { passwordFailuresPerAccount: { max: 4, windowInSeconds: 900 } } } });
    const victim = await addUser(harness, { kind: 'customer' });
    const ownersBrowser = harness.client({ remoteAddress: '203.0.113.77' });
    expectStatus(await signInFrom(ownersBrowser, victim), 200);
    expectStatus(await ownersBrowser.post('/api/banking/logout'), 204);

    // A botnet: every guess from another address, so no per-address limit is ever met.
    const fromBot = (index: number) => harness.client({ remoteAddress: `198.51.100.${index}` });
    for (let index = 1; index <= 4; index += 1) expectStatus(await login(fromBot(index), victim.username, WRONG_PASSWORD), 401);
    expectLimited(await login(fromBot(5), victim.username, WRONG_PASSWORD), 900);
    // The right password from a new browser is refused too: the limit is not an oracle.
    expectLimited(await login(fromBot(6), victim.username.toUpperCase(), victim.password), 900);
    // A username nobody has is limited after the same number of guesses: nothing tells them apart.
    for (let index = 10; index < 14; index += 1) expectStatus(await login(fromBot(index), 'no-such-customer', WRONG_PASSWORD), 401);
    expectLimited(await login(fromBot(14), 'no-such-customer', WRONG_PASSWORD), 900);

    // The owner's browser, which signed in before, is not held back; nor are other accounts.
    expectStatus(await signInFrom(ownersBrowser, victim), 200);
    const other = await addUser(harness, { kind: 'customer' });
    expectStatus(await signInFrom(fromBot(20), other), 200);
  });

  it("one client's wrong sign-in codes never lock out another's correct sign-in from the same address", async () => {
    await start({ rateLimit: { limits: { signInCodeFailuresPerAddress: { max: 3, windowInSeconds: 900 } } } });
    const y = await addUser(harness, { kind: 'customer' });
    const browserOfY = harness.client();
    expectStatus(await signInFrom(browserOfY, y), 200);
    expectStatus(await browserOfY.post('/api/banking/logout'), 204);

    // X knows the passwords of several accounts, not their second factors.
    const victims = [await addUser(harness, { kind: 'customer' }), await addUser(harness, { kind: 'customer' }), await addUser(harness, { kind: 'customer' })];
    for (const victim of victims) {
      const attacker = harness.client();
      expectStatus(await login(attacker, victim.username, victim.password), 200);
      expectStatus(await attacker.post('/api/banking/login/verify', { factorId: victim.totpFactorId, code: WRONG_CODE }), 401);
    }
    const attacker = harness.client();
    const next = await addUser(harness, { kind: 'customer' });
    expectStatus(await login(attacker, next.username, next.password), 200);
    harness.clock.advance(30);
    expectLimited(await attacker.post('/api/banking/login/verify', { factorId: next.totpFactorId, code: currentTotp(harness, next) }), 900);

    expectStatus(await signInFrom(browserOfY, y), 200);
  });

  it('shares the counters of two instances through Redis: requests split across both meet the limit at the same total', async () => {
    const nameSpace = `latchkey:rl:test:${randomUUID()}:`;
    const quiet = createLogger('silent');
    const stores = [connectRateLimitStore(REDIS_URL, quiet), connectRateLimitStore(REDIS_URL, quiet)] as const;
    cleanups.push(async () => {
      const keys = await stores[0].keys(`${nameSpace}*`);
      if (keys.length > 0) await stores[0].del(...keys);
      for (const store of stores) store.disconnect();
    });
    for (const store of stores) if (store.status !== 'ready') await once(store, 'ready');
    const passwordAttempts = { max: 4, windowInSeconds: 60 };
    await start({ rateLimit: { redis: stores[0], nameSpace, limits: { passwordAttempts } } });
    // The second instance: its own connections to the same database (PGlite serves one process,
    // so there both instances share the one handle) and to the same Redis.
    const secondDatabase = engine === 'postgres' ? harness.database.openAnother() : null;
    if (secondDatabase !== null) cleanups.push(() => secondDatabase.close());
    const appB = await buildApp({
      deps: { ...harness.deps, db: secondDatabase?.db ?? harness.deps.db },
      publicUrl: null,
      logger: quiet,
      rateLimit: { redis: stores[1], nameSpace, limits: { ...generousRateLimits, passwordAttempts } },
    });
    cleanups.push(() => appB.close());
    const customer = await addUser(harness, { kind: 'customer' });
    const instanceA = harness.client();
    const instanceB = new Client(appB);

    for (const client of [instanceA, instanceB, instanceA, instanceB]) expectStatus(await login(client, customer.username, WRONG_PASSWORD), 401);
    expectLimited(await login(instanceA, customer.username, customer.password), 60);
    expectLimited(await login(instanceB, customer.username, customer.password), 60);
    expect((await stores[0].keys(`${nameSpace}*`)).length).toBeGreaterThan(0);
    expect(await harness.deps.db.selectFrom('audit_events').select('id').where('type', '=', 'sign_in.password_failed').where('target_id', '=', customer.id).execute()).toHaveLength(4);
  });

  it('lets requests through, with a warning, while Redis is unreachable', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const unreachable: Redis = connectRateLimitStore('redis://127.0.0.1:1', createLogger('info', sink));
    cleanups.push(async () => unreachable.disconnect());
    await start({ rateLimit: { redis: unreachable, limits: { passwordAttempts: { max: 1, windowInSeconds: 60 } } } });
    const customer = await addUser(harness, { kind: 'customer' });
    const client = harness.client();
    expectStatus(await login(client, customer.username, WRONG_PASSWORD), 401);
    expectStatus(await login(client, customer.username, WRONG_PASSWORD), 401);
    expectStatus(await signInFrom(client, customer), 200);
    expect(harness.logs.join('')).toContain('rate limiter unavailable: request let through');
    expect(lines.join('')).toContain('Redis unreachable');
    expect(harness.logs.join('') + lines.join('')).not.toContain(customer.password);
  });
});
