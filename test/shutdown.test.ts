// Graceful shutdown of the real entry point (src/main.ts in a child process), on both
// engines: SIGTERM while sign-ins are being hashed lets every one of them finish with its
// normal reply and its audit row, refuses new connections, closes the database and exits 0
// within seconds, saying so; the embedded database then opens again at once.
import { existsSync } from 'node:fs';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { TEST_POSTGRES_URL, describeEachEngine } from '../src/testing/databases.js';
import { type ProcessEnvironment, freshProcessEnvironment } from '../src/testing/process-environment.js';
import { type ServerProcess, logLines, startServerProcess } from '../src/testing/server-process.js';

// Enough argon2 hashes that some are still running when the signal comes.
const SIGN_INS_IN_FLIGHT = 30;

async function waitFor(condition: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > withinMs) throw new Error(`waited ${withinMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A request whose body is sent in two halves: the second when `finish` is called. */
function slowRequest(server: ServerProcess, path: string, headers: Record<string, string>, body: string) {
  let started: ClientRequest | null = null;
  const reply = new Promise<{ status: number; body: unknown; connection: string | undefined }>((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: server.port, path, method: 'POST', agent: false, headers: { ...headers, host: new URL(server.url).host, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += String(chunk)));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown, connection: response.headers.connection }));
      },
    );
    request.on('error', reject);
    request.write(body.slice(0, 10));
    started = request;
  });
  return {
    finish: () => {
      started?.end(body.slice(10));
      return reply;
    },
  };
}

/** Whether a new TCP connection to the port is refused. */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describeEachEngine('graceful shutdown of the server', (engine) => {
  let setup: ProcessEnvironment;
  let environment: Record<string, string>;
  let inspect: ProcessEnvironment['inspect'];
  let server: ServerProcess | null = null;

  beforeEach(async () => {
    setup = await freshProcessEnvironment(engine, { name: 'shutdown' });
    ({ environment, inspect } = setup);
  });
  afterEach(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    server = null;
    await setup.cleanup();
  });

  it('finishes the sign-ins in flight, refuses new connections, closes the database and exits 0', async () => {
    const running = await startServerProcess({ ...environment, LATCHKEY_DEMO: 'true' });
    server = running;
    const password = /helpdesk .*\n\s+password: (\S+)/.exec(running.output())?.[1];
    expect(password).toBeDefined();
    const logged = (message: string) => logLines(running.output()).filter((line) => line.msg === message).length;
    const before = logged('incoming request');

    // Sign-ins of unknown users, which cost the same hash (and, each under its own name, stay
    // under the per-address limits), and one real staff sign-in whose body is still arriving
    // when the signal comes: in flight for certain.
    const headers = { 'content-type': 'application/json', origin: running.url };
    const hashing = Array.from({ length: SIGN_INS_IN_FLIGHT }, async (_, index) => {
      const body = { username: `nobody-${index}`, password: 'a wrong password, hashed all the same' };
      const reply = await fetch(`${running.url}/api/admin/login`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: reply.status, body: (await reply.json()) as unknown };
    });
    const slow = slowRequest(running, '/api/admin/login', headers, JSON.stringify({ username: 'helpdesk', password }));
    await waitFor(() => logged('incoming request') - before === SIGN_INS_IN_FLIGHT + 1, 'every sign-in to reach the server');
    const signalledAt = Date.now();
    running.child.kill('SIGTERM');

    await waitFor(() => /shutting down/.test(running.output()), 'the shutdown to start');
    let refused = false;
    for (let attempt = 0; attempt < 50 && !refused; attempt += 1) {
      refused = await connectionRefused(running.port);
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Refused while the process still serves the requests it had.
    expect(refused).toBe(true);
    expect(running.child.exitCode).toBeNull();

    const finished = await slow.finish();
    // Answered, and told the connection ends with it.
    expect(finished).toMatchObject({ status: 200, body: { status: 'second_factor_required' }, connection: 'close' });
    for (const reply of await Promise.all(hashing)) expect(reply).toEqual({ status: 401, body: { error: { code: 'invalid_credentials', message: expect.any(String) } } });
    const exit = await running.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(5000);

    // Requests completed after the signal, then the database closed, and nothing went wrong.
    const messages = logLines(running.output()).map((line) => line.msg);
    const shutdownAt = messages.indexOf('shutting down: finishing requests in flight');
    expect(shutdownAt).toBeGreaterThanOrEqual(0);
    expect(messages.slice(shutdownAt).filter((message) => message === 'request completed').length).toBeGreaterThan(0);
    expect(messages.at(-1)).toBe('shut down cleanly');
    expect(logLines(running.output()).filter((line) => (line.level ?? 0) >= 50)).toEqual([]);

    // Every sign-in answered was written: its audit row is there.
    const written = await inspect((database) =>
      database.db.selectFrom('audit_events').select(['type']).where('type', 'in', ['sign_in.password_succeeded', 'sign_in.password_failed']).execute(),
    );
    expect(written.filter((row) => row.type === 'sign_in.password_succeeded')).toHaveLength(1);
    expect(written.filter((row) => row.type === 'sign_in.password_failed')).toHaveLength(SIGN_INS_IN_FLIGHT);

    if (engine === 'pglite') {
      // The embedded database was let go: no lock left, and the CLI opens it at once.
      expect(existsSync(join(environment.LATCHKEY_DATA_DIR!, 'latchkey.lock'))).toBe(false);
      const errors: string[] = [];
      expect(await runCli(['migrate'], { ...environment, LATCHKEY_LOG_LEVEL: 'silent' }, { stdin: async () => '', out: () => undefined, err: (text) => errors.push(text) })).toBe(0);
      expect(errors).toEqual([]);
    } else {
      // No connection of the server's is left on the PostgreSQL server.
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      const left = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
        new URL(environment.DATABASE_URL!).searchParams.get('application_name'),
      ]);
      await admin.end();
      expect(left.rows[0].n).toBe(0);
    }
  }, 120_000);
});
