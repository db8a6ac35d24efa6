// A real app on a fresh database (either engine) with a hand-moved clock, plus clients that
// keep cookies like a browser and send the Origin header the server expects.
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../app.js';
import type { Engine } from '../adapters/db/database.js';
import type { RateLimitSetup, RateLimits } from '../adapters/http/rate-limits.js';
import type { Policy } from '../modules/deps.js';
import type { Deps } from '../modules/deps.js';
import { cliMeta } from '../modules/audit/record-audit-event.js';
import { changePermissions } from '../modules/permissions/change-permissions.js';
import { TOTP_FACTOR_LABEL } from '../modules/twofactor/totp/enroll-totp.js';
import { generateTotpSecret, totpCodeAt } from '../modules/twofactor/totp/totp.js';
import { idleNotifier } from '../modules/notifications/notification-transport.js';
import { createUser } from '../modules/users/create-user.js';
import { manualClock } from '../shared/clock.js';
import { deriveServerKeys, encrypt } from '../shared/secrets.js';
import { createLogger } from '../shared/logger.js';
import { type TestDatabase, freshDatabase } from './databases.js';

export const TEST_ORIGIN = 'http://localhost:80';
export const TEST_PASSWORD = 'correct horse battery staple';

export const defaultPolicy: Policy = {
  sessions: { idleTimeoutInSeconds: 900, absoluteTimeoutInSeconds: 43_200, pendingTimeoutInSeconds: 600, stepUpWindowInSeconds: 900 },
  backupCodes: { perSet: 10, staffLifetimeInSeconds: 7 * 24 * 3600, maxSetsPerStaffPerHour: 20 },
  throttle: { maxSecondFactorFailures: 10, lockoutInSeconds: 1800 },
  sms: { enabled: true, maxPerHour: 5 },
};

/**
 * Real per-address limiters, loose enough for suites that sign in many times from the one
 * address app.inject() comes from; rate-limit tests set tight ones.
 */
const LOOSE_LIMIT = { max: 1000, windowInSeconds: 60 };
export const generousRateLimits: RateLimits = {
  passwordAttempts: LOOSE_LIMIT,
  passwordFailuresPerAddress: LOOSE_LIMIT,
  passwordFailuresPerAccount: LOOSE_LIMIT,
  codeAttempts: LOOSE_LIMIT,
  signInCodeFailuresPerAddress: LOOSE_LIMIT,
  textsPerAddress: LOOSE_LIMIT,
};

export interface Harness {
  database: TestDatabase;
  deps: Deps;
  clock: ReturnType<typeof manualClock>;
  app: FastifyInstance;
  /** Every log line the app wrote, as text. */
  logs: string[];
  /** A browser; `remoteAddress` is the socket address the app sees (127.0.0.1 by default). */
  client(options?: { remoteAddress?: string }): Client;
  close(): Promise<void>;
}

export async function startHarness(
  engine: Engine,
  options: {
    policy?: Partial<Policy>;
    secret?: string;
    webRoot?: string | null;
    postgresUrl?: string;
    trustProxy?: string[];
    /** Limits replace generousRateLimits one by one. */
    rateLimit?: RateLimitSetup;
  } = {},
): Promise<Harness> {
  const database = await freshDatabase(engine, options.postgresUrl);
  const clock = manualClock(new Date('2026-11-28T09:00:00Z'));
  const deps: Deps = {
    db: database.db,
    clock,
    keys: deriveServerKeys(options.secret ?? 'test-secret-that-is-long-enough-0123456789'),
    policy: { ...defaultPolicy, ...options.policy },
    // Tests deliver the outbox themselves (deliverDueNotifications), on the hand-moved clock.
    notifier: idleNotifier,
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const app = await buildApp({
    deps,
    publicUrl: null,
    logger: createLogger('debug', sink),
    webRoot: options.webRoot ?? null,
    trustProxy: options.trustProxy,
    rateLimit: { ...options.rateLimit, limits: { ...generousRateLimits, ...options.rateLimit?.limits } },
  });
  await app.ready();
  return {
    database,
    deps,
    clock,
    app,
    logs,
    client: (clientOptions = {}) => new Client(app, clientOptions.remoteAddress),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

export class Client {
  private readonly cookies = new Map<string, string>();
  constructor(
    private readonly app: FastifyInstance,
    private readonly remoteAddress?: string,
  ) {}

  async request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(method === 'GET' ? {} : { origin: TEST_ORIGIN }),
        ...(cookie === '' ? {} : { cookie }),
        'user-agent': 'latchkey-tests',
        ...headers,
      },
      ...(body === undefined ? {} : { payload: body as object }),
      ...(this.remoteAddress === undefined ? {} : { remoteAddress: this.remoteAddress }),
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (value === '' || /Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get = (url: string) => this.request('GET', url);
  post = (url: string, body?: unknown) => this.request('POST', url, body);
  delete = (url: string) => this.request('DELETE', url);

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface TestUser {
  id: string;
  username: string;
  password: string;
  totpSecret: string | null;
  totpFactorId: string | null;
}

let counter = 0;

export async function addUser(
  harness: Harness,
  input: { kind: 'customer' | 'staff'; isAdmin?: boolean; permissions?: string[]; firstName?: string; lastName?: string; username?: string; withTotp?: boolean },
): Promise<TestUser> {
  counter += 1;
  const username = input.username ?? `${input.kind}${counter}`;
  const { id } = await createUser(
    harness.deps,
    {
      kind: input.kind,
      username,
      email: `${username}@example.test`,
      firstName: input.firstName ?? 'Test',
      lastName: input.lastName ?? `User${counter}`,
      isAdmin: input.isAdmin ?? false,
      password: TEST_PASSWORD,
    },
    cliMeta,
  );
  if (input.permissions !== undefined && input.permissions.length > 0) {
    await changePermissions(harness.deps, { change: 'grant', username, codenames: input.permissions, actorId: null, meta: cliMeta });
  }
  if (input.withTotp === false) return { id, username, password: TEST_PASSWORD, totpSecret: null, totpFactorId: null };
  const totpSecret = generateTotpSecret();
  const factor = await harness.deps.db
    .insertInto('factors')
    .values({
      user_id: id,
      type: 'totp',
      label: TOTP_FACTOR_LABEL,
      secret_ciphertext: encrypt(harness.deps.keys.get('totp-seed-encryption'), totpSecret),
      confirmed_at: harness.clock.now(),
      created_at: harness.clock.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, username, password: TEST_PASSWORD, totpSecret, totpFactorId: factor.id };
}

export function currentTotp(harness: Harness, user: TestUser): string {
  if (user.totpSecret === null) throw new Error(`${user.username} has no TOTP`);
  return totpCodeAt({ secretBase32: user.totpSecret }, harness.clock.now());
}

/** Password + TOTP on the user's surface; moves the clock one TOTP step on, so codes never repeat. */
export async function signIn(harness: Harness, user: TestUser, surface: 'banking' | 'admin'): Promise<Client> {
  const client = harness.client();
  const login = await client.post(`/api/${surface}/login`, { username: user.username, password: user.password });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  harness.clock.advance(30);
  const verify = await client.post(`/api/${surface}/login/verify`, { factorId: user.totpFactorId, code: currentTotp(harness, user) });
  if (verify.statusCode !== 200) throw new Error(`verify failed: ${verify.body}`);
  return client;
}
