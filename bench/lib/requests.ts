// The requests of each scenario, one per fixture: Latchkey's routes (src/adapters/http/routes)
// and Better Auth's. Every state-changing request names the server in Origin, as a browser
// does (both servers refuse it otherwise); every client has its own X-Forwarded-For address.
import { randomBytes } from 'node:crypto';
import { totpCodeAt } from '../../src/modules/twofactor/totp/totp.js';
import { type PlannedRequest, nextClientAddress } from './load.js';

const JSON_TYPE = 'application/json';

export interface Client {
  cookie: string;
  address: string;
}

/** A signed-in or pending browser: its cookie and its address, kept for every request it makes. */
export function client(cookie: string): Client {
  return { cookie, address: nextClientAddress() };
}

function post(origin: string, path: string, body: unknown, from: { cookie?: string; address: string }): PlannedRequest {
  return {
    method: 'POST',
    path,
    headers: {
      origin,
      'content-type': JSON_TYPE,
      'x-forwarded-for': from.address,
      'user-agent': 'latchkey-bench',
      ...(from.cookie === undefined ? {} : { cookie: from.cookie }),
    },
    body: JSON.stringify(body),
  };
}

function get(path: string, from: Client): PlannedRequest {
  return { method: 'GET', path, headers: { cookie: from.cookie, 'x-forwarded-for': from.address, 'user-agent': 'latchkey-bench' } };
}

export const latchkey = {
  login: (origin: string, username: string, password: string) => post(origin, '/api/banking/login', { username, password }, { address: nextClientAddress() }),
  verifyBackupCode: (origin: string, pending: Client, code: string) => post(origin, '/api/banking/login/verify', { factorId: 'backup_codes', code }, pending),
  verifyTotp: (origin: string, pending: Client, factorId: string, totpSecret: string) =>
    post(origin, '/api/banking/login/verify', { factorId, code: totpCodeAt({ secretBase32: totpSecret }, new Date()) }, pending),
  me: (signedIn: Client) => get('/api/banking/me', signedIn),
  generateBackupCodes: (origin: string, staff: Client, userId: string) => post(origin, `/api/admin/users/${userId}/backup-codes`, {}, staff),
  searchUsers: (staff: Client, q: string) => get(`/api/admin/users?q=${encodeURIComponent(q)}`, staff),
};

export const baseline = {
  session: (signedIn: Client) => get('/session', signedIn),
};

export const betterAuth = {
  getSession: (signedIn: Client) => get('/api/auth/get-session', signedIn),
  verifyBackupCode: (origin: string, challenge: Client, code: string) => post(origin, '/api/auth/two-factor/verify-backup-code', { code }, challenge),
};

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A well-formed backup code nobody holds (80 random bits): Latchkey's own format. */
export function wrongLatchkeyCode(): string {
  const symbols = [...randomBytes(16)].map((byte) => CROCKFORD[byte % 32]).join('');
  return symbols.match(/.{4}/g)!.join('-');
}

/** A well-formed code in Better Auth's format (10 letters and digits, 5-5) that no user holds. */
export function wrongBetterAuthCode(): string {
  const symbols = randomBytes(10).toString('base64url').replace(/[-_]/g, 'x').slice(0, 10);
  return `${symbols.slice(0, 5)}-${symbols.slice(5)}`;
}
