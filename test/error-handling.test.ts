// Failing safely (ASVS 5.0 16.3.4, 16.5.1, 16.5.3, 16.4.1, 16.2.4): an unexpected error is
// answered with the one generic 500 body and logged in full for the operators; every log
// record is one JSON line whatever a client sends, so nobody can forge a record.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/shared/logger.js';
import { describeEachEngine } from '../src/testing/databases.js';
import { type Harness, TEST_ORIGIN, addUser, startHarness } from '../src/testing/harness.js';

describeEachEngine('failing safely', (engine) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness(engine);
  });
  afterEach(async () => harness.close());

  it('answers an unexpected error with a generic 500 and logs it with its stack for the operators', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const app = await buildApp({ deps: harness.deps, publicUrl: null, logger: createLogger('info', sink) });
    // A route that fails the way a bug would, with internals in its message.
    app.get('/api/broken', async () => {
      throw Object.assign(new Error('relation "secret_table" does not exist at /srv/latchkey/dist/x.js:12'), { code: '42P01' });
    });
    await app.ready();
    try {
      const reply = await app.inject({ method: 'GET', url: '/api/broken' });
      expect(reply.statusCode).toBe(500);
      expect(reply.json()).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
      expect(reply.body).not.toMatch(/secret_table|\/srv\/|\.js:|stack/i);
      const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; errorCode?: string; err?: { message: string; stack: string } });
      const record = logged.find((line) => line.msg === 'unhandled error');
      expect(record?.level).toBe(50);
      expect(record?.errorCode).toBe('42P01');
      expect(record?.err?.message).toContain('secret_table');
      expect(record?.err?.stack).toContain('error-handling.test.ts');
    } finally {
      await app.close();
    }
  });

  it('writes every log record as one JSON line, whatever a client puts in a username, header or URL', async () => {
    await addUser(harness, { kind: 'customer', username: 'victim' });
    const forged = 'victim\n{"level":30,"msg":"sign-in succeeded","user":"admin"}\r\n';
    const client = harness.client();
    await client.post('/api/banking/login', { username: forged, password: 'x'.repeat(12) });
    await harness.app.inject({
      method: 'POST',
      url: `/api/banking/login?next=${encodeURIComponent(forged)}`,
      headers: { origin: TEST_ORIGIN, 'user-agent': 'agent\u2028{"msg":"forged"}', 'x-request-id': 'id\n{"msg":"forged"}' },
      payload: { username: forged, password: 'y'.repeat(12) },
    });
    const records = harness.logs.join('').split('\n').filter((line) => line !== '');
    expect(records.length).toBeGreaterThan(0);
    for (const line of records) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(record.msg).not.toBe('sign-in succeeded');
      expect(record.msg).not.toBe('forged');
    }
    // The forged text reached the audit trail only as data in its own column, never as a row.
    const events = await harness.deps.db.selectFrom('audit_events').select(['type', 'user_agent']).execute();
    expect(events.every((event) => event.type !== 'sign_in.succeeded')).toBe(true);
  });
});
