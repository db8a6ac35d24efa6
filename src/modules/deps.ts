import type { Db } from '../adapters/db/database.js';
import type { Config } from '../config.js';
import type { Clock } from '../shared/clock.js';
import type { ServerKeys } from '../shared/secrets.js';
import type { Notifier } from './notifications/notification-transport.js';

/** The rules that configuration sets for the domain. */
export type Policy = Pick<Config, 'sessions' | 'backupCodes' | 'throttle' | 'sms'>;

/** What the use cases are given; compose.ts builds the real ones, tests their own. */
export interface Deps {
  db: Db;
  clock: Clock;
  keys: ServerKeys;
  policy: Policy;
  /** Told after a commit that queued a notification, so that it goes out without waiting for the next poll. */
  notifier: Notifier;
}
