// Latchkey under test: the built server (dist/src/main.js) on a fresh PostgreSQL database,
// its bulk users (`latchkey seed --users`), and the sessions each scenario starts from.
//
// Pending and signed-in sessions are written straight into `sessions`, as the password step
// and the second factor write them (the SHA-256 of a random token; the client keeps the token):
// a pending session made through the API costs an argon2id hash, measured on its own in the
// password-step scenario, and would make the second-factor scenarios measure it again.
import { randomBytes, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { type Child, freePort, runToEnd, startChild, waitForOutput } from './processes.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface LatchkeyServer {
  child: Child;
  origin: string;
}

export interface ServerSettings {
  databaseUrl: string;
  secret: string;
  redisUrl?: string;
}

/** The environment every Latchkey process of the run shares; the bench raises only the staff's hourly code sets. */
export function latchkeyEnvironment(settings: ServerSettings): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    DATABASE_URL: settings.databaseUrl,
    LATCHKEY_SECRET: settings.secret,
    LATCHKEY_LOG_LEVEL: 'warn',
    LATCHKEY_DEMO: 'false',
    HOST: '127.0.0.1',
    // The load comes through "a proxy" on loopback: X-Forwarded-For names each client.
    TRUST_PROXY: '127.0.0.1',
    // At most 1000 (config.ts); a bench generates hundreds of sets a minute.
    STAFF_BACKUP_CODE_SETS_PER_HOUR: '1000',
    ...(settings.redisUrl === undefined ? {} : { REDIS_URL: settings.redisUrl }),
  };
}

export async function startLatchkey(name: string, settings: ServerSettings): Promise<LatchkeyServer> {
  const port = await freePort();
  const child = startChild(name, process.execPath, ['dist/src/main.js'], { env: { ...latchkeyEnvironment(settings), PORT: String(port) }, cwd: ROOT });
  await waitForOutput(child, /Latchkey is ready at/, 60_000);
  return { child, origin: `http://127.0.0.1:${port}` };
}

export interface BulkCredentials {
  password: string;
  totpSecret: string;
  backupCodes: string[];
  usernamesWithBackupCodes: string[];
}

/** `latchkey seed --users N --with-codes K`: applies the migrations, then seeds; returns the shared credentials. */
export async function seedLatchkey(settings: ServerSettings, options: { users: number; withCodes: number; codesFile: string }): Promise<{ credentials: BulkCredentials; seconds: number }> {
  const startedAt = performance.now();
  await runToEnd('latchkey seed', process.execPath, ['bin/latchkey.js', 'seed', '--users', String(options.users), '--with-codes', String(options.withCodes), '--codes-out', options.codesFile], {
    env: { PATH: process.env.PATH, DATABASE_URL: settings.databaseUrl, LATCHKEY_SECRET: settings.secret, LATCHKEY_LOG_LEVEL: 'warn' },
    cwd: ROOT,
  });
  const seconds = (performance.now() - startedAt) / 1000;
  return { credentials: JSON.parse(await readFile(options.codesFile, 'utf8')) as BulkCredentials, seconds };
}

export interface UserRef {
  id: string;
  username: string;
  /** The user's TOTP factor, when they have one. */
  factorId: string | null;
}

/**
 * Bulk users picked at random, in disjoint groups: each scenario spends attempts and codes of
 * users no other scenario touches, so no per-account lock or spent code carries over.
 */
export class UserPool {
  private readonly taken = new Set<string>();

  constructor(private readonly pool: pg.Pool) {}

  async customersWithCodes(usernames: string[], count: number): Promise<UserRef[]> {
    const { rows } = await this.pool.query<UserRef>(
      `SELECT u.id, u.username, f.id AS "factorId" FROM users u LEFT JOIN factors f ON f.user_id = u.id AND f.type = 'totp'
       WHERE u.username = ANY($1::text[]) AND u.kind = 'customer'`,
      [usernames],
    );
    return this.take(rows, count);
  }

  /** Customers with an authenticator app and no backup codes. */
  async customersWithTotp(count: number): Promise<UserRef[]> {
    const { rows } = await this.pool.query<UserRef>(
      `SELECT u.id, u.username, f.id AS "factorId" FROM users u JOIN factors f ON f.user_id = u.id AND f.type = 'totp'
       WHERE u.kind = 'customer' AND NOT EXISTS (SELECT 1 FROM backup_code_sets s WHERE s.user_id = u.id)
       ORDER BY random() LIMIT $1`,
      [count + this.taken.size],
    );
    return this.take(rows, count);
  }

  /** Customers with no second factor at all (targets of staff-issued codes). */
  async customersWithoutFactors(count: number): Promise<UserRef[]> {
    const { rows } = await this.pool.query<UserRef>(
      `SELECT u.id, u.username, NULL AS "factorId" FROM users u
       WHERE u.kind = 'customer' AND NOT EXISTS (SELECT 1 FROM factors f WHERE f.user_id = u.id)
         AND NOT EXISTS (SELECT 1 FROM backup_code_sets s WHERE s.user_id = u.id)
       ORDER BY random() LIMIT $1`,
      [count + this.taken.size],
    );
    return this.take(rows, count);
  }

  /**
   * Staff holding a permission (the bulk seed grants some of them users.view, some also code
   * generation). Shared between scenarios: acting on others spends nothing of their own.
   */
  async staffWith(permission: string, count: number): Promise<UserRef[]> {
    const { rows } = await this.pool.query<UserRef>(
      `SELECT u.id, u.username, NULL AS "factorId" FROM users u JOIN user_permissions p ON p.user_id = u.id AND p.codename = $1
       WHERE u.kind = 'staff' AND u.status = 'active' LIMIT $2`,
      [permission, count],
    );
    return rows;
  }

  private take(rows: UserRef[], count: number): UserRef[] {
    const fresh = rows.filter((row) => !this.taken.has(row.id)).slice(0, count);
    for (const row of fresh) this.taken.add(row.id);
    return fresh;
  }
}

export type SessionKind = { surface: 'banking' | 'admin'; state: 'pending' | 'active' };

/** Sessions as Latchkey writes them; returns each session's token, in the order of `userIds`. */
export async function mintSessions(pool: pg.Pool, userIds: string[], kind: SessionKind): Promise<string[]> {
  const tokens = userIds.map(() => randomBytes(32).toString('base64url'));
  const hashes = tokens.map((token) => createHash('sha256').update(token).digest('hex'));
  for (let start = 0; start < userIds.length; start += 10_000) {
    await pool.query(
      `INSERT INTO sessions (token_hash, user_id, surface, state, created_at, last_seen_at, second_factor_at, ip, user_agent)
       SELECT token_hash, user_id, $3, $4, now(), now(), CASE WHEN $4 = 'active' THEN now() END, '198.18.0.1', 'latchkey-bench'
       FROM unnest($1::text[], $2::uuid[]) AS t (token_hash, user_id)`,
      [hashes.slice(start, start + 10_000), userIds.slice(start, start + 10_000), kind.surface, kind.state],
    );
  }
  return tokens;
}

export function sessionCookie(surface: 'banking' | 'admin', token: string): string {
  return `latchkey_${surface}=${token}`;
}
