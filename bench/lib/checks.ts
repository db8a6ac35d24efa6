// With two instances behind the balancer, and under load, the rules that make Latchkey safe
// must hold exactly as with one: these checks say whether they did.
// - single use: N concurrent redemptions of one code (through both instances) → exactly one succeeds;
// - per-account lock: 2×N concurrent wrong codes on one account → exactly N checked (401), the
//   rest refused (429), and then even the right code is refused;
// - per-address limit, shared through Redis: wrong sign-in codes from one address on many
//   accounts → the first 50 answered 401, every one after 429, whichever instance answers.
import type pg from 'pg';
import { mintSessions, sessionCookie, type UserRef } from './latchkey.js';
import { nextClientAddress } from './load.js';
import { wrongLatchkeyCode } from './requests.js';

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

// SECOND_FACTOR_MAX_FAILURES and signInCodeFailuresPerAddress (docs/SECURITY.md §D.1, D.1a).
const ACCOUNT_MAX_FAILURES = 10;
const ADDRESS_MAX_WRONG_CODES = 50;

async function verify(origin: string, token: string, code: string, address: string): Promise<number> {
  const response = await fetch(`${origin}/api/banking/login/verify`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', cookie: sessionCookie('banking', token), 'x-forwarded-for': address },
    body: JSON.stringify({ factorId: 'backup_codes', code }),
  });
  await response.arrayBuffer();
  return response.status;
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export async function checkSingleUse(pool: pg.Pool, origin: string, user: UserRef, code: string, attempts: number): Promise<Check> {
  const tokens = await mintSessions(pool, Array.from({ length: attempts }, () => user.id), { surface: 'banking', state: 'pending' });
  const statuses = await Promise.all(tokens.map((token) => verify(origin, token, code, nextClientAddress())));
  const counts = tally(statuses);
  const { rows } = await pool.query<{ used: string }>('SELECT count(*) AS used FROM backup_codes WHERE user_id = $1 AND used_at IS NOT NULL', [user.id]);
  const passed = counts[200] === 1 && Number(rows[0]?.used) === 1;
  return { name: `${attempts} concurrent redemptions of one code, through both instances`, passed, detail: `answers ${JSON.stringify(counts)}, codes marked used: ${rows[0]?.used}` };
}

export async function checkAccountLock(pool: pg.Pool, origin: string, user: UserRef, rightCode: string): Promise<Check> {
  const attempts = ACCOUNT_MAX_FAILURES * 2;
  const tokens = await mintSessions(pool, Array.from({ length: attempts + 1 }, () => user.id), { surface: 'banking', state: 'pending' });
  const statuses = await Promise.all(tokens.slice(0, attempts).map((token) => verify(origin, token, wrongLatchkeyCode(), nextClientAddress())));
  const counts = tally(statuses);
  const afterLock = await verify(origin, tokens[attempts]!, rightCode, nextClientAddress());
  const passed = counts[401] === ACCOUNT_MAX_FAILURES && counts[429] === attempts - ACCOUNT_MAX_FAILURES && afterLock === 429;
  return {
    name: `${attempts} concurrent wrong codes on one account: locked at ${ACCOUNT_MAX_FAILURES} across both instances`,
    passed,
    detail: `answers ${JSON.stringify(counts)}; then the right code: ${afterLock}`,
  };
}

export async function checkAddressLimit(pool: pg.Pool, origin: string, users: UserRef[]): Promise<Check> {
  const tokens = await mintSessions(pool, users.map((user) => user.id), { surface: 'banking', state: 'pending' });
  const address = nextClientAddress();
  const statuses: number[] = [];
  for (const token of tokens) statuses.push(await verify(origin, token, wrongLatchkeyCode(), address));
  const firstRefused = statuses.indexOf(429);
  const passed = firstRefused === ADDRESS_MAX_WRONG_CODES && statuses.slice(firstRefused).every((status) => status === 429);
  return {
    name: `${tokens.length} wrong sign-in codes from one address on ${tokens.length} accounts: limited at ${ADDRESS_MAX_WRONG_CODES} across both instances (Redis)`,
    passed,
    detail: `answers ${JSON.stringify(tally(statuses))}; first 429 at attempt ${firstRefused + 1}`,
  };
}
