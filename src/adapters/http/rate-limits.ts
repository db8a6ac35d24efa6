// Per-address limits on signing in, second-factor codes and texts (issue #5; SECURITY.md §3.1,
// §3.3; NIST SP 800-63B-4 §3.2.2). They stand in front of the per-account throttles, which
// live in the database; these only slow an address down. The counters are kept in Redis when
// REDIS_URL is set, so that every instance shares them, and in this process otherwise.
//
// Addresses that cannot be told apart (an office or carrier NAT) must not let one client's
// failures lock out another's correct sign-in, hence:
// - the tight limit on passwords is per address *and account*: hammering one account leaves a
//   colleague's alone; second-factor codes are limited per address and session;
// - the address-wide ceilings, against one address spraying many accounts, count failures
//   only, and do not apply to a browser holding a device cookie for the account it signs in to
//   (device-cookies.ts: given at its last full sign-in), which is counted on its own key
//   instead. Letting a correct password through a reached ceiling instead would turn the
//   ceiling into an oracle: the sprayer would still learn which guesses were right. The limit
//   of this design: a browser new to the account, behind an address whose ceiling someone else
//   has reached, waits for the window to pass.
// - texts cost money and are counted per address once sent.
// If the store fails (Redis down or slow), requests go through with a warning: an outage of
// the limiter must not become an outage of sign-in for every customer, and the per-account
// throttles, in the database, still hold.
import { createRequire } from 'node:module';
import fastifyRateLimit, { type RateLimitOptions, normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { findSession } from '../../modules/auth/sessions.js';
import type { Deps } from '../../modules/deps.js';
import { AppError } from '../../shared/app-error.js';
import { sha256Hex } from '../../shared/secrets.js';
import { isUuid } from '../../shared/uuid.js';
import type { Surface } from '../db/schema.js';
import { readCookie, sessionCookieName } from './cookies.js';
import { knownDeviceOf, setDeviceCookie } from './device-cookies.js';
import { isSecureRequest } from './request-context.js';

export interface Limit {
  max: number;
  windowInSeconds: number;
}

export interface RateLimits {
  /** Password attempts per address and account, or per device cookie. */
  passwordAttempts: Limit;
  /** Wrong passwords per address, from browsers without a device cookie for the account. */
  passwordFailuresPerAddress: Limit;
  /** Wrong passwords per account from any address, from browsers without its device cookie. */
  passwordFailuresPerAccount: Limit;
  /** Code attempts (sign-in, step-up, email confirmation) per address and session. */
  codeAttempts: Limit;
  /** Wrong sign-in codes per address, from browsers without a device cookie for the account. */
  signInCodeFailuresPerAddress: Limit;
  /** Texts sent per address: sign-in, step-up and phone verification together. */
  textsPerAddress: Limit;
}

export const productionRateLimits = {
  // Someone retyping a password needs a few tries a minute; 10 hold a guesser to 14,400 a day
  // against one account from one address (NIST SP 800-63B-4 §3.2.2 asks for a limit per
  // account; the second factor behind the password locks after 10 failures).
  passwordAttempts: { max: 10, windowInSeconds: 60 },
  // Spraying: 100 wrong passwords in 15 minutes is more than a busy office's typos, and holds
  // one address to 9,600 guesses a day across all accounts. Known browsers are not counted in.
  passwordFailuresPerAddress: { max: 100, windowInSeconds: 15 * 60 },
  // A guesser who rotates addresses (a botnet) still meets a limit per account (NIST SP
  // 800-63B-4 §3.2.2, PCI DSS 8.3.4): 30 wrong passwords in 15 minutes, about 2,900 a day.
  // Unknown usernames are counted alike, so the limit tells nothing about who exists. Whoever
  // reaches it blocks only browsers new to the account: the owner's, holding its device
  // cookie, sign in as usual, so this cannot be used to lock a customer out.
  passwordFailuresPerAccount: { max: 30, windowInSeconds: 15 * 60 },
  // A 6-digit code leaves no room for speed; the account's own lock comes after 10 failures.
  codeAttempts: { max: 10, windowInSeconds: 60 },
  // Wrong codes come from people who already passed the password step; 50 in 15 minutes from
  // one address means stolen passwords being tried, not typos.
  signInCodeFailuresPerAddress: { max: 50, windowInSeconds: 15 * 60 },
  // Each account may get 5 texts an hour (SMS_MAX_PER_HOUR); 30 from one address still let six
  // people behind it use all of theirs, and cap what one address can cost the bank.
  textsPerAddress: { max: 30, windowInSeconds: 60 * 60 },
} satisfies RateLimits;

export interface RateLimitSetup {
  /** Replaces some of productionRateLimits (tests set tight or generous ones). */
  limits?: Partial<RateLimits>;
  /** Counters shared by every instance (REDIS_URL); without it they stay in this process. */
  redis?: Redis | null;
  /** Prefix of every Redis key. */
  nameSpace?: string;
}

/** Hooks to spread into a route's options. */
export interface RouteLimit {
  preHandler: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  onError?: (request: FastifyRequest, reply: FastifyReply, error: Error) => Promise<void>;
  onSend?: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>;
}

export interface RateLimiters {
  /** The password step: per address and account, or per device cookie; wrong passwords per address. */
  password(surface: Surface): RouteLimit;
  /** The second factor at sign-in: per address and pending session; wrong codes per address. */
  signInCode(surface: Surface): RouteLimit;
  /** Codes a signed-in session types (step-up, email confirmation): per address and session. */
  code(surface: Surface): RouteLimit;
  /** Routes that text a code: a challenge (when the factor is SMS) or a phone to verify. */
  texts(route: 'challenge' | 'phone'): RouteLimit;
  /** After a full sign-in: this browser is known for this account from now on. */
  rememberDevice(request: FastifyRequest, reply: FastifyReply, input: { surface: Surface; username: string }): void;
}

interface Count {
  limit: string;
  exceeded: boolean;
  retryAfterSeconds: number;
}

interface Counter {
  /** Counts this request and tells whether it went past the limit. */
  hit(request: FastifyRequest, key: string): Promise<Count>;
  /** Tells whether the limit is reached, without counting. */
  peek(request: FastifyRequest, key: string): Promise<Count>;
}

// The plugin adds the route to a key, and these counters belong to no one route: keys read
// `latchkey:rl:undefinedundefined-password|<address>|<sha-256 of the username>`.
const REDIS_NAMESPACE = 'latchkey:rl:';
// Keys kept per counter in this process; past it the least recently used are dropped.
const LOCAL_KEYS_PER_COUNTER = 10_000;

export async function registerRateLimits(
  app: FastifyInstance,
  input: { deps: Deps; publicUrl: string | null; setup: RateLimitSetup },
): Promise<RateLimiters> {
  const { deps, publicUrl } = input;
  const limits: RateLimits = { ...productionRateLimits, ...input.setup.limits };
  const redis = input.setup.redis ?? null;
  // Counters are created below, one per kind, so that both surfaces and every route that texts
  // share them; a route's own `config.rateLimit` would give each route a budget of its own.
  await app.register(fastifyRateLimit, {
    global: false,
    ...(redis === null ? {} : { redis, nameSpace: input.setup.nameSpace ?? REDIS_NAMESPACE }),
  });

  const counter = (name: string, limit: Limit): Counter => {
    const keys = new WeakMap<FastifyRequest, string>();
    const options: RateLimitOptions = {
      max: limit.max,
      timeWindow: limit.windowInSeconds * 1000,
      keyGenerator: (request) => keys.get(request) ?? '',
      cache: LOCAL_KEYS_PER_COUNTER,
    };
    const limiter = app.createRateLimit(options);
    const count = async (request: FastifyRequest, key: string, increment: boolean): Promise<Count> => {
      keys.set(request, `${name}|${key}`);
      try {
        const result = await limiter(request, { increment });
        if (result.isAllowed) return { limit: name, exceeded: false, retryAfterSeconds: 0 };
        // Counting, the request that goes past `max` is refused; peeking, any once `max` are in.
        const exceeded = increment ? result.isExceeded : result.remaining === 0;
        return { limit: name, exceeded, retryAfterSeconds: Math.max(1, result.ttlInSeconds) };
      } catch (error) {
        request.log.warn({ err: { message: error instanceof Error ? error.message : String(error) }, limit: name }, 'rate limiter unavailable: request let through');
        return { limit: name, exceeded: false, retryAfterSeconds: 0 };
      }
    };
    return { hit: (request, key) => count(request, key, true), peek: (request, key) => count(request, key, false) };
  };

  const passwordAttempts = counter('password', limits.passwordAttempts);
  const passwordFailures = counter('password-failures', limits.passwordFailuresPerAddress);
  const accountPasswordFailures = counter('account-password-failures', limits.passwordFailuresPerAccount);
  const codeAttempts = counter('code', limits.codeAttempts);
  const signInCodeFailures = counter('sign-in-code-failures', limits.signInCodeFailuresPerAddress);
  const textsSent = counter('texts', limits.textsPerAddress);

  const sessionKey = (request: FastifyRequest, surface: Surface): string => {
    const token = readCookie(request, sessionCookieName(surface, isSecureRequest(request, publicUrl)));
    return `${addressOf(request)}|${token === null ? '-' : sha256Hex(token)}`;
  };

  /** Whether the browser holds a device cookie for the account of its session. */
  const knownForSession = async (request: FastifyRequest, surface: Surface): Promise<boolean> => {
    const secure = isSecureRequest(request, publicUrl);
    const token = readCookie(request, sessionCookieName(surface, secure));
    if (token === null) return false;
    const session = await findSession(deps.db, { token, surface, now: deps.clock.now(), timeouts: deps.policy.sessions });
    return session !== null && knownDeviceOf(deps.keys, request, { surface, username: session.user.username, secure }) !== null;
  };

  const isSmsFactor = async (factorId: string): Promise<boolean> => {
    if (!isUuid(factorId)) return false;
    const factor = await deps.db.selectFrom('factors').select('type').where('id', '=', factorId).executeTakeFirst();
    return factor?.type === 'sms';
  };
  const sendsText = async (request: FastifyRequest, route: 'challenge' | 'phone') =>
    route === 'phone' || (await isSmsFactor(bodyString(request, 'factorId')));

  return {
    password: (surface) => ({
      preHandler: async (request) => {
        const address = addressOf(request);
        const username = bodyString(request, 'username');
        const device = knownDeviceOf(deps.keys, request, { surface, username, secure: isSecureRequest(request, publicUrl) });
        if (device === null) {
          refuseIfExceeded(request, await passwordFailures.peek(request, address));
          refuseIfExceeded(request, await accountPasswordFailures.peek(request, accountKey(username)));
        }
        const key = device === null ? `${address}|${accountKey(username)}` : `device|${device}`;
        refuseIfExceeded(request, await passwordAttempts.hit(request, key));
      },
      onError: async (request, _reply, error) => {
        if (!(error instanceof AppError && error.code === 'invalid_credentials')) return;
        await passwordFailures.hit(request, addressOf(request));
        await accountPasswordFailures.hit(request, accountKey(bodyString(request, 'username')));
      },
    }),
    signInCode: (surface) => ({
      preHandler: async (request) => {
        const failures = await signInCodeFailures.peek(request, addressOf(request));
        if (failures.exceeded && !(await knownForSession(request, surface))) refuseIfExceeded(request, failures);
        refuseIfExceeded(request, await codeAttempts.hit(request, sessionKey(request, surface)));
      },
      onError: async (request, _reply, error) => {
        if (error instanceof AppError && error.code === 'invalid_code') await signInCodeFailures.hit(request, addressOf(request));
      },
    }),
    code: (surface) => ({
      preHandler: async (request) => refuseIfExceeded(request, await codeAttempts.hit(request, sessionKey(request, surface))),
    }),
    // Texts are counted once sent (before the reply leaves), so that requests the route refuses
    // (no session, a factor that is not SMS) cost an address nothing.
    texts: (route) => ({
      preHandler: async (request) => {
        const sent = await textsSent.peek(request, addressOf(request));
        if (sent.exceeded && (await sendsText(request, route))) refuseIfExceeded(request, sent);
      },
      onSend: async (request, reply, payload) => {
        const sent = route === 'phone' ? reply.statusCode === 201 : reply.statusCode === 204 && (await sendsText(request, route));
        if (sent) await textsSent.hit(request, addressOf(request));
        return payload;
      },
    }),
    rememberDevice: (request, reply, { surface, username }) =>
      setDeviceCookie(deps.keys, reply, { surface, username, secure: isSecureRequest(request, publicUrl) }),
  };
}

// `ioredis` is loaded by the first connectRateLimitStore(), which stays synchronous: a start
// without REDIS_URL never needs it.
const require = createRequire(import.meta.url);

/**
 * The Redis client behind shared counters. While Redis is unreachable, commands fail at once
 * instead of queueing, so that requests go through (see the top of this file) rather than
 * wait; the outage and the recovery are logged once each.
 */
export function connectRateLimitStore(url: string, log: Logger): Redis {
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 500, maxRetriesPerRequest: 1 });
  let unreachable = false;
  redis.on('error', (error: Error) => {
    if (unreachable) return;
    unreachable = true;
    log.warn({ err: { message: error.message } }, 'Redis unreachable: per-address rate limits are not enforced until it is back');
  });
  redis.on('ready', () => {
    if (unreachable) log.info('Redis reachable again: per-address rate limits enforced');
    unreachable = false;
  });
  // A failed first connection is reported by the listener above; ioredis keeps retrying.
  redis.connect().catch(() => {});
  return redis;
}

/** An account as typed, known or not (the same key for both, so nothing tells them apart). */
function accountKey(username: string): string {
  return sha256Hex(username.toLowerCase());
}

/** The client's address (request.ip honours TRUST_PROXY); an IPv6 client usually holds a whole /64. */
function addressOf(request: FastifyRequest): string {
  return normalizeIP(request.ip, 64);
}

function refuseIfExceeded(request: FastifyRequest, count: Count): void {
  if (!count.exceeded) return;
  request.log.info({ limit: count.limit }, 'rate limit reached');
  throw new AppError('too_many_attempts', { retryAfterSeconds: count.retryAfterSeconds });
}

/** A string field of a body the route schema has already validated. */
function bodyString(request: FastifyRequest, field: string): string {
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null) return '';
  const value: unknown = (body as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : '';
}
