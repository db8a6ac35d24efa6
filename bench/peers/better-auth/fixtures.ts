// The peer's schema and fixtures, made with Better Auth's own tooling and server API:
// - the schema by its programmatic migrations (`getMigrations(...).runMigrations()`);
// - users by its internal adapter, the calls its sign-up and two-factor enablement make, with
//   one password hash shared by all (as `latchkey seed --users` does: a scrypt hash costs
//   ~0.1 s here) and ten backup codes each, stored encrypted as its plugin stores them;
// - second-factor challenges as its sign-in leaves them (a `2fa-…` verification value, its
//   attempt counter, and the signed `two_factor` cookie), and signed-in sessions with their
//   signed `session_token` cookies.
// Usage: fixtures.ts '{"users":N,"pendingRight":N,"pendingWrong":N,"sessions":N,"out":"FILE"}'
// with DATABASE_URL, BETTER_AUTH_SECRET and BETTER_AUTH_URL. Writes FILE (mode 0600); prints nothing secret.
import { writeFile } from 'node:fs/promises';
import { generateRandomString, makeSignature, symmetricEncrypt } from 'better-auth/crypto';
import { getMigrations } from 'better-auth/db/migration';
import type { PeerFixtures } from '../../lib/peer-fixtures.js';
import { createPeerAuth } from './auth.js';

interface Spec {
  users: number;
  pendingRight: number;
  pendingWrong: number;
  sessions: number;
  out: string;
}

const CODES_PER_USER = 10;
// Wrong codes per user stay under its lock (10 consecutive failures) and per challenge under its
// 5 attempts: each challenge spends one.
const WRONG_CODES_PER_USER = 5;
const CHALLENGE_LIFETIME_SECONDS = 600;
const CONCURRENCY = 16;

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const { auth, pool } = createPeerAuth({
  databaseUrl: required('DATABASE_URL'),
  secret: required('BETTER_AUTH_SECRET'),
  baseURL: required('BETTER_AUTH_URL'),
});
const context = await auth.$context;
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const password = `peer-${generateRandomString(16)}`;
const passwordHash = await context.password.hash(password);
const cookieName = (name: string) => context.createAuthCookie(name).name;
const signed = async (value: string) => encodeURIComponent(`${value}.${await makeSignature(value, context.secret)}`);

const users = await inBatches(spec.users, async (index) => {
  const user = await context.internalAdapter.createUser({ email: `peer${index}@bench.example`, name: `Peer User ${index}`, emailVerified: true, twoFactorEnabled: true }, { method: 'email-password' });
  await context.internalAdapter.linkAccount({ userId: user.id, providerId: 'credential', accountId: user.id, password: passwordHash });
  const codes = Array.from({ length: CODES_PER_USER }, () => {
    const code = generateRandomString(10, 'a-z', '0-9', 'A-Z');
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
  await context.adapter.create({
    model: 'twoFactor',
    data: {
      userId: user.id,
      secret: await symmetricEncrypt({ key: context.secretConfig, data: generateRandomString(32) }),
      backupCodes: await symmetricEncrypt({ key: context.secretConfig, data: JSON.stringify(codes) }),
      verified: true,
    },
  });
  return { id: user.id, email: user.email, codes };
});

const challenge = async (userId: string): Promise<string> => {
  const identifier = `2fa-${generateRandomString(20)}`;
  const expiresAt = new Date(Date.now() + CHALLENGE_LIFETIME_SECONDS * 1000);
  await context.internalAdapter.createVerificationValue({ value: userId, identifier, expiresAt });
  await context.internalAdapter.createVerificationValue({ value: '0', identifier: `2fa-attempts-${identifier}`, expiresAt });
  return `${cookieName('two_factor')}=${await signed(identifier)}`;
};

// The last user is kept for the probe through the real sign-in.
const served = users.slice(0, -1);
const rightPlan = Array.from({ length: Math.min(spec.pendingRight, served.length * CODES_PER_USER) }, (_, index) => ({
  user: served[index % served.length]!,
  code: Math.floor(index / served.length),
}));
const rightCodes = await inBatches(rightPlan.length, async (index) => ({ cookie: await challenge(rightPlan[index]!.user.id), code: rightPlan[index]!.user.codes[rightPlan[index]!.code]! }));
const wrongCount = Math.min(spec.pendingWrong, served.length * WRONG_CODES_PER_USER);
const wrongCodes = await inBatches(wrongCount, async (index) => ({ cookie: await challenge(served[(served.length - 1 - (index % served.length))]!.id) }));
const sessions = await inBatches(spec.sessions, async (index) => {
  const session = await context.internalAdapter.createSession(served[index % served.length]!.id);
  return `${cookieName('session_token')}=${await signed(session.token)}`;
});
const probeUser = users.at(-1)!;
const fixtures: PeerFixtures = { rightCodes, wrongCodes, sessions, probe: { email: probeUser.email, password, code: probeUser.codes[0]! } };
await writeFile(spec.out, JSON.stringify(fixtures), { mode: 0o600 });
await pool.end();
process.stdout.write(`fixtures ${users.length} users, ${rightCodes.length} right-code and ${wrongCodes.length} wrong-code challenges, ${sessions.length} sessions\n`);

async function inBatches<T>(count: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const made: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      made[index] = await make(index);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return made;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}
