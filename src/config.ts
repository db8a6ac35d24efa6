// Environment → typed, validated configuration. A bad value stops the start with a
// message naming the variable (SPEC §8).
import { isIP } from 'node:net';
import { z } from 'zod';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value));

/**
 * A proxy named in TRUST_PROXY: an address, a CIDR, or one of proxy-addr's names for the
 * loopback, link-local and private ranges.
 */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://login.bank.example' })
    .transform((url) => new URL(url).origin)
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  LATCHKEY_DATA_DIR: z.string().min(1).default('./data'),
  LATCHKEY_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters of random data (e.g. `openssl rand -base64 32`)')
    .optional(),
  LATCHKEY_DEMO: flag.optional(),
  LATCHKEY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_IDLE_TIMEOUT_SECONDS: seconds(15 * 60),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: seconds(12 * 60 * 60),
  PENDING_SESSION_TIMEOUT_SECONDS: seconds(10 * 60),
  STEP_UP_WINDOW_SECONDS: seconds(15 * 60),
  BACKUP_CODES_PER_SET: z.coerce.number().int().min(1).max(50).default(10),
  STAFF_BACKUP_CODE_LIFETIME_SECONDS: seconds(7 * 24 * 60 * 60),
  STAFF_BACKUP_CODE_SETS_PER_HOUR: z.coerce.number().int().min(1).max(1000).default(20),
  // PCI DSS v4 8.3.4: lock after at most 10 attempts, for at least 30 minutes.
  SECOND_FACTOR_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(10),
  SECOND_FACTOR_LOCKOUT_SECONDS: seconds(30 * 60),
  // Notifications (SPEC §5): without SMTP_URL or SMS_WEBHOOK_URL they go to the log.
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.bank.example:587' })
    .optional(),
  MAIL_FROM: z
    .string()
    .trim()
    .regex(/^(?:[^<>@]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'must be an address such as "Bank <no-reply@bank.example>"')
    .optional(),
  SMS_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL of the SMS gateway' }).optional(),
  // SMS as a second factor (SPEC §3): a policy switch, and texts per account per hour.
  SMS_ENABLED: flag.default(true),
  SMS_MAX_PER_HOUR: z.coerce.number().int().min(1).max(100).default(5),
  LATCHKEY_SUPPORT_CONTACT: z.string().trim().min(3).max(200).default('call the number on the back of your card'),
  // Per-address limits (issue #5): counters shared by every instance through Redis.
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'must be a redis:// or rediss:// URL such as redis://cache.internal:6379' }).optional(),
  // X-Forwarded-For is believed only from these proxies; `true` or a hop count would believe a
  // client that writes the header itself, and so let it pick the address it is limited by.
  TRUST_PROXY: z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .refine((entries) => entries.length > 0 && entries.every(isProxyAddress), {
      message: 'must list the addresses or CIDRs of the proxies in front, comma-separated (e.g. 10.0.0.0/8,127.0.0.1); `true` or a hop count would trust any client\'s X-Forwarded-For',
    })
    .optional(),
});

export type Environment = Record<string, string | undefined>;

export interface Config {
  environment: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string | null;
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  /** null only for the embedded database before the data folder is opened (it holds a generated one). */
  secret: string | null;
  seedDemoUsers: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  sessions: {
    idleTimeoutInSeconds: number;
    absoluteTimeoutInSeconds: number;
    pendingTimeoutInSeconds: number;
    stepUpWindowInSeconds: number;
  };
  backupCodes: { perSet: number; staffLifetimeInSeconds: number; maxSetsPerStaffPerHour: number };
  throttle: { maxSecondFactorFailures: number; lockoutInSeconds: number };
  /** SMS codes: offered and enrollable only when enabled; at most maxPerHour texts per account. */
  sms: { enabled: boolean; maxPerHour: number };
  /** Where per-address rate-limit counters are shared between instances; null keeps them in the process. */
  redisUrl: string | null;
  /** The proxies whose X-Forwarded-For gives the client's address; null ignores the header. */
  trustProxy: string[] | null;
  notifications: {
    email: { kind: 'smtp'; url: string; from: string } | { kind: 'log' };
    sms: { kind: 'webhook'; url: string } | { kind: 'log' };
    /** How to reach the bank, closing every email's "Wasn't you?" line. */
    supportContact: string;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(environment: Environment = process.env): Config {
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const env = parsed.data;
  if (env.NODE_ENV === 'production' && env.DATABASE_URL === undefined) {
    throw new ConfigError(
      'DATABASE_URL: required when NODE_ENV=production; the embedded database (PGlite) does not fsync and can lose the last writes on a crash.',
    );
  }
  if (env.DATABASE_URL !== undefined && env.LATCHKEY_SECRET === undefined) {
    throw new ConfigError(
      'LATCHKEY_SECRET: required with DATABASE_URL, so that every instance shares the key for hashed codes (e.g. `openssl rand -base64 32`).',
    );
  }
  if (env.SMTP_URL !== undefined && env.MAIL_FROM === undefined) {
    throw new ConfigError('MAIL_FROM: required with SMTP_URL, e.g. "Bank <no-reply@bank.example>".');
  }
  return {
    environment: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    publicUrl: env.PUBLIC_URL ?? null,
    database:
      env.DATABASE_URL === undefined
        ? { kind: 'pglite', dataDir: env.LATCHKEY_DATA_DIR }
        : { kind: 'postgres', url: env.DATABASE_URL },
    secret: env.LATCHKEY_SECRET ?? null,
    seedDemoUsers: env.LATCHKEY_DEMO ?? env.DATABASE_URL === undefined,
    logLevel: env.LATCHKEY_LOG_LEVEL,
    sessions: {
      idleTimeoutInSeconds: env.SESSION_IDLE_TIMEOUT_SECONDS,
      absoluteTimeoutInSeconds: env.SESSION_ABSOLUTE_TIMEOUT_SECONDS,
      pendingTimeoutInSeconds: env.PENDING_SESSION_TIMEOUT_SECONDS,
      stepUpWindowInSeconds: env.STEP_UP_WINDOW_SECONDS,
    },
    backupCodes: {
      perSet: env.BACKUP_CODES_PER_SET,
      staffLifetimeInSeconds: env.STAFF_BACKUP_CODE_LIFETIME_SECONDS,
      maxSetsPerStaffPerHour: env.STAFF_BACKUP_CODE_SETS_PER_HOUR,
    },
    throttle: {
      maxSecondFactorFailures: env.SECOND_FACTOR_MAX_FAILURES,
      lockoutInSeconds: env.SECOND_FACTOR_LOCKOUT_SECONDS,
    },
    sms: { enabled: env.SMS_ENABLED, maxPerHour: env.SMS_MAX_PER_HOUR },
    redisUrl: env.REDIS_URL ?? null,
    trustProxy: env.TRUST_PROXY ?? null,
    notifications: {
      email: env.SMTP_URL === undefined || env.MAIL_FROM === undefined ? { kind: 'log' } : { kind: 'smtp', url: env.SMTP_URL, from: env.MAIL_FROM },
      sms: env.SMS_WEBHOOK_URL === undefined ? { kind: 'log' } : { kind: 'webhook', url: env.SMS_WEBHOOK_URL },
      supportContact: env.LATCHKEY_SUPPORT_CONTACT,
    },
  };
}
