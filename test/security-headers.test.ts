// Security headers on API replies and pages: a strict CSP without inline script, no framing,
// no referrer; HSTS only when the public origin is https.
import { Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { addUser, startHarness, type Harness } from '../src/testing/harness.js';
import { createLogger } from '../src/shared/logger.js';

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

it('sends a strict Content-Security-Policy, no-referrer and no framing, and no HSTS over http', async () => {
  harness = await startHarness('pglite');
  const reply = await harness.app.inject({ method: 'GET', url: '/api/banking/me' });
  const csp = String(reply.headers['content-security-policy']);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('upgrade-insecure-requests');
  expect(reply.headers['referrer-policy']).toBe('no-referrer');
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(reply.headers['strict-transport-security']).toBeUndefined();
});

it('sends HSTS and __Host- Secure cookies when the public origin is https', async () => {
  harness = await startHarness('pglite');
  const quiet = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const app = await buildApp({ deps: harness.deps, publicUrl: 'https://login.bank.example', logger: createLogger('silent', quiet) });
  try {
    const customer = await addUser(harness, { kind: 'customer' });
    const reply = await app.inject({
      method: 'POST',
      url: '/api/banking/login',
      headers: { origin: 'https://login.bank.example' },
      payload: { username: customer.username, password: customer.password },
    });
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(String(reply.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    const cookie = String(reply.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-latchkey_banking=[\w-]{43,}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
  } finally {
    await app.close();
  }
});
