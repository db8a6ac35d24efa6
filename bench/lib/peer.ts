// The peer, Better Auth (bench/peers/better-auth: its own package.json and lock, not a
// dependency of Latchkey): installed on first use, its database made fresh, its fixtures
// made by its own API, its server started on a port of its own.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PeerFixtures } from './peer-fixtures.js';
import { ROOT } from './latchkey.js';
import { type Child, freePort, runToEnd, startChild, waitForOutput } from './processes.js';

export const PEER_DIR = join(ROOT, 'bench/peers/better-auth');
const TSX = ['--import', 'tsx'];

export async function installPeer(): Promise<void> {
  if (existsSync(join(PEER_DIR, 'node_modules/better-auth/package.json'))) return;
  process.stderr.write('bench: installing the peer (npm ci in bench/peers/better-auth)\n');
  await runToEnd('npm ci (peer)', 'npm', ['ci', '--no-audit', '--no-fund'], { env: process.env, cwd: PEER_DIR });
}

export async function peerVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(PEER_DIR, 'node_modules/better-auth/package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

export interface PeerServer {
  child: Child;
  origin: string;
  fixtures: PeerFixtures;
}

export async function startPeer(databaseUrl: string, fixturesFile: string, counts: { users: number; pendingRight: number; pendingWrong: number; sessions: number }): Promise<PeerServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
    BETTER_AUTH_URL: origin,
    PORT: String(port),
  };
  // tsx is Latchkey's: the peer's scripts are run from the repository root, and their own
  // imports resolve from bench/peers/better-auth/node_modules.
  await runToEnd('peer fixtures', process.execPath, [...TSX, join(PEER_DIR, 'fixtures.ts'), JSON.stringify({ ...counts, out: fixturesFile })], { env, cwd: ROOT });
  const fixtures = JSON.parse(await readFile(fixturesFile, 'utf8')) as PeerFixtures;
  const child = startChild('better-auth', process.execPath, [...TSX, join(PEER_DIR, 'server.ts')], { env, cwd: ROOT });
  await waitForOutput(child, /ready \d+/, 60_000);
  return { child, origin, fixtures };
}

/** The fixtures behave as the real flow's do: a sign-in with the password gives a challenge cookie that takes a code. */
export async function probePeer(peer: PeerServer): Promise<boolean> {
  const { origin, fixtures } = peer;
  const headers = { origin, 'content-type': 'application/json', 'x-forwarded-for': '198.19.255.254' };
  const signIn = await fetch(`${origin}/api/auth/sign-in/email`, { method: 'POST', headers, body: JSON.stringify({ email: fixtures.probe.email, password: fixtures.probe.password }) });
  await signIn.arrayBuffer();
  const challenge = signIn.headers.getSetCookie().find((cookie) => cookie.includes('.two_factor='))?.split(';')[0];
  if (challenge === undefined) return false;
  const verified = await fetch(`${origin}/api/auth/two-factor/verify-backup-code`, {
    method: 'POST',
    headers: { ...headers, cookie: challenge, 'x-forwarded-for': '198.19.255.253' },
    body: JSON.stringify({ code: fixtures.probe.code }),
  });
  await verified.arrayBuffer();
  return verified.status === 200;
}
