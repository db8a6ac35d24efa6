// `npm start` on a fresh data folder: serves, creates the demo users, prints how to sign in
// with them — and those instructions work. Runs the real entry point in a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { totpCodeAt } from '../src/modules/twofactor/totp/totp.js';

const children: ChildProcess[] = [];
const folders: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function start(dataDir: string): Promise<{ child: ChildProcess; output: () => string; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: '0', LATCHKEY_DATA_DIR: dataDir, LATCHKEY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line after 60 s:\n${output}`)), 60_000);
    const check = () => {
      const ready = /Latchkey is ready at (http:\/\/localhost:\d+)/.exec(output);
      if (ready !== null) {
        clearTimeout(timer);
        resolve({ child, output: () => output, url: ready[1]! });
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

it('starts on a fresh data folder with demo users whose printed credentials sign in', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
  folders.push(dataDir);
  const server = await start(dataDir);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  const printed = /helpdesk .*\n\s+password: (\S+)\s+TOTP secret: (\S+)\n\s+(otpauth:\/\/\S+)/.exec(server.output());
  expect(printed).not.toBeNull();
  const [, password, secret] = printed!;
  const headers = { 'content-type': 'application/json', origin: server.url };
  const login = await fetch(`${server.url}/api/admin/login`, { method: 'POST', headers, body: JSON.stringify({ username: 'helpdesk', password }) });
  expect(login.status).toBe(200);
  const { factors } = (await login.json()) as { factors: { id: string; type: string }[] };
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const verify = await fetch(`${server.url}/api/admin/login/verify`, {
    method: 'POST',
    headers: { ...headers, cookie },
    body: JSON.stringify({ factorId: factors[0]!.id, code: totpCodeAt({ secretBase32: secret! }, new Date()) }),
  });
  expect(verify.status).toBe(200);
  expect(((await verify.json()) as { user: { permissions: string[] } }).user.permissions).toContain('users.generate_lockout_codes');

  // The secret stays outside the database, in the data folder; SIGTERM shuts down cleanly.
  expect(existsSync(join(dataDir, 'secret'))).toBe(true);
  const exited = new Promise<number | null>((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(existsSync(join(dataDir, 'latchkey.lock'))).toBe(false);

  // A second start prints the same credentials again.
  const again = await start(dataDir);
  expect(again.output()).toContain(password);
});

it('refuses to start in production without DATABASE_URL, in one line naming it', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(1);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toContain('DATABASE_URL');
});
