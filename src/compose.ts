// The one place that builds the real dependencies from configuration.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Database, openDatabase } from './adapters/db/database.js';
import { migrate } from './adapters/db/migrate.js';
import { connectRateLimitStore } from './adapters/http/rate-limits.js';
import { createNotificationTransport } from './adapters/notify/notification-transport.js';
import type { Config } from './config.js';
import { type AuditSealer, createAuditSealer } from './modules/audit/audit-sealer.js';
import type { Deps } from './modules/deps.js';
import { type NotificationWorker, createNotificationWorker } from './modules/notifications/notification-worker.js';
import { systemClock } from './shared/clock.js';
import { deriveServerKeys } from './shared/secrets.js';

export interface Composed {
  database: Database;
  deps: Deps;
  /** Drains the notification outbox once started; the server starts it, the CLI leaves it be. */
  notifications: NotificationWorker;
  /** Shares the per-address rate-limit counters between instances (REDIS_URL); never opened for the CLI. */
  rateLimitStore: Redis | null;
  /** Seals the audit log into its hash chain once started; the server starts it, the CLI leaves it be. */
  auditSealer: AuditSealer;
}

export async function compose(config: Config, options: { holder: 'server' | 'cli'; logger: Logger }): Promise<Composed> {
  const secret = config.secret ?? embeddedSecret(config);
  const database = await openDatabase(config.database, {
    holder: options.holder,
    onPoolError: (error) => options.logger.warn({ err: { message: error.message } }, 'database connection lost'),
  });
  try {
    const applied = await migrate(database.db);
    if (applied.length > 0) options.logger.info({ migrations: applied }, 'database migrated');
  } catch (error) {
    await database.close();
    throw error;
  }
  const keys = deriveServerKeys(secret);
  const log = options.logger.child({ component: 'notifications' });
  if (config.environment === 'production' && config.notifications.email.kind === 'log') {
    log.warn('SMTP_URL is not set: notifications are only logged, no email is sent');
  }
  const notifications = createNotificationWorker({
    db: database.db,
    clock: systemClock,
    keys,
    transport: createNotificationTransport(config.notifications, log),
    supportContact: config.notifications.supportContact,
    log,
  });
  return {
    database,
    deps: {
      db: database.db,
      clock: systemClock,
      keys,
      policy: { sessions: config.sessions, backupCodes: config.backupCodes, throttle: config.throttle, sms: config.sms },
      notifier: notifications,
    },
    notifications,
    rateLimitStore:
      options.holder === 'server' && config.redisUrl !== null
        ? connectRateLimitStore(config.redisUrl, options.logger.child({ component: 'rate-limit' }))
        : null,
    auditSealer: createAuditSealer({ db: database.db, keys, log: options.logger.child({ component: 'audit' }) }),
  };
}

/**
 * With the embedded database the server secret is generated into the data folder on first
 * start (SPEC §8); it never enters the database itself.
 */
function embeddedSecret(config: Config): string {
  if (config.database.kind !== 'pglite') throw new Error('LATCHKEY_SECRET is required with DATABASE_URL');
  const path = join(config.database.dataDir, 'secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(config.database.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
