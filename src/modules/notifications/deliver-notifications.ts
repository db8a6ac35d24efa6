// Sends what the outbox holds that is due. Several instances share the outbox, so rows are
// claimed with FOR UPDATE SKIP LOCKED in one UPDATE that also pushes their next attempt a
// lease ahead and commits at once: the send happens after that commit, with no lock held
// and no transaction open while a mail server answers. A send that fails keeps the row
// (attempts, last_error) and sets the next attempt by exponential back-off; one that never
// reports back (a crash) is tried again when the lease runs out. Delivery is therefore at
// least once, never lost. The row's secret is decrypted only here, just before sending,
// and cleared with the row marked sent.
import { z } from 'zod';
import type { Db } from '../../adapters/db/database.js';
import type { NotificationRow } from '../../adapters/db/schema.js';
import { addSeconds } from '../../shared/clock.js';
import { type ServerKeys, decrypt } from '../../shared/secrets.js';
import type { NotificationMessage } from './enqueue-notification.js';
import type { NotificationTransport } from './notification-transport.js';
import { renderEmail, renderSms } from './render-notification.js';

export interface DeliveryLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface DeliveryDeps {
  db: Db;
  keys: ServerKeys;
  transport: NotificationTransport;
  supportContact: string;
  log: DeliveryLog;
}

/** Rows claimed per round; they are sent side by side, so a slow server delays the round once. */
export const DELIVERY_BATCH_SIZE = 10;
/**
 * How long a claimed row is left alone before another round may take it again. Longer than
 * the transports' own time-outs (adapters/notify), so a send still in progress is not doubled.
 */
export const CLAIM_LEASE_IN_SECONDS = 5 * 60;
const FIRST_RETRY_IN_SECONDS = 5;
const LONGEST_RETRY_IN_SECONDS = 15 * 60;
const LAST_ERROR_MAX_LENGTH = 500;

/** 5 s after the first failure, doubling each time, never more than 15 min: never given up. */
export function retryDelayInSeconds(failedAttempts: number): number {
  return Math.min(FIRST_RETRY_IN_SECONDS * 2 ** Math.max(0, failedAttempts - 1), LONGEST_RETRY_IN_SECONDS);
}

export interface DeliveryRound {
  claimed: number;
  sent: number;
  failed: number;
}

export async function deliverDueNotifications(deps: DeliveryDeps, now: Date): Promise<DeliveryRound> {
  const due = deps.db
    .selectFrom('notifications')
    .select('id')
    .where('sent_at', 'is', null)
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(DELIVERY_BATCH_SIZE)
    .forUpdate()
    .skipLocked();
  const claimed = await deps.db
    .updateTable('notifications')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: addSeconds(now, CLAIM_LEASE_IN_SECONDS) }))
    .where('id', 'in', due)
    .returningAll()
    .execute();
  if (claimed.length === 0) return { claimed: 0, sent: 0, failed: 0 };

  const names = await deps.db
    .selectFrom('users')
    .select(['id', 'first_name'])
    .where('id', 'in', [...new Set(claimed.map((row) => row.user_id))])
    .execute();
  const firstNames = new Map(names.map((user) => [user.id, user.first_name]));

  const outcomes = await Promise.all(claimed.map((row) => deliverOne(deps, row, firstNames.get(row.user_id) ?? null, now)));
  const sent = outcomes.filter(Boolean).length;
  return { claimed: claimed.length, sent, failed: claimed.length - sent };
}

async function deliverOne(deps: DeliveryDeps, row: NotificationRow, firstName: string | null, now: Date): Promise<boolean> {
  try {
    const message = storedMessage(deps.keys, row);
    const context = { supportContact: deps.supportContact, firstName, at: new Date(row.created_at) };
    if (row.channel === 'email') {
      await deps.transport.sendEmail({ kind: row.kind, to: row.recipient, ...renderEmail(message, context) });
    } else {
      await deps.transport.sendSms({ kind: row.kind, to: row.recipient, text: renderSms(message, context) });
    }
  } catch (error) {
    const lastError = describeError(error);
    const retryInSeconds = retryDelayInSeconds(row.attempts);
    await deps.db
      .updateTable('notifications')
      .set({ last_error: lastError, next_attempt_at: addSeconds(now, retryInSeconds) })
      .where('id', '=', row.id)
      .where('sent_at', 'is', null)
      .execute();
    deps.log.warn(
      { notificationId: row.id, kind: row.kind, channel: row.channel, attempts: row.attempts, retryInSeconds, error: lastError },
      'notification not sent; will retry',
    );
    return false;
  }
  await deps.db
    .updateTable('notifications')
    .set({ sent_at: now, secret_ciphertext: null, last_error: null })
    .where('id', '=', row.id)
    .execute();
  deps.log.info({ notificationId: row.id, kind: row.kind, channel: row.channel, attempts: row.attempts }, 'notification sent');
  return true;
}

// The row read back as the message that was queued; a row this version cannot read (a kind
// added by a newer instance, a damaged payload) fails to send and stays for one that can.
const messageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('backup_codes_issued_by_staff'), expiresAt: z.string() }),
  z.object({ kind: z.literal('backup_code_used'), remaining: z.number().int().min(0) }),
  z.object({ kind: z.literal('password_changed') }),
  z.object({ kind: z.literal('recovery_codes_created'), count: z.number().int().min(0) }),
  z.object({ kind: z.literal('factor_added'), factorLabel: z.string() }),
  z.object({ kind: z.literal('factor_removed'), factorLabel: z.string() }),
  z.object({ kind: z.literal('email_change_requested'), newEmail: z.string() }),
  z.object({ kind: z.literal('email_confirmation'), secret: z.string().min(1) }),
  z.object({ kind: z.literal('second_factor_failed') }),
  z.object({ kind: z.literal('sms_code'), secret: z.string().min(1) }),
]) satisfies z.ZodType<NotificationMessage>;
// `satisfies` accepts a union with kinds missing, and a missing kind is never sent, only
// retried for ever: the compiler checks that every kind can be read back.
type UnreadableKind = Exclude<NotificationMessage['kind'], z.infer<typeof messageSchema>['kind']>;
const everyKindReadable: [UnreadableKind] extends [never] ? true : UnreadableKind = true;

function storedMessage(keys: ServerKeys, row: NotificationRow): NotificationMessage {
  const secret = row.secret_ciphertext === null ? {} : { secret: decrypt(keys.get('notification-secret'), row.secret_ciphertext) };
  const parsed = messageSchema.safeParse({ ...row.payload, kind: row.kind, ...secret });
  // The paths name fields, never values: nothing of the payload reaches last_error.
  if (!parsed.success) throw new Error(`unreadable ${row.kind} notification: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
  return parsed.data;
}

/** The error's message alone (no stack, no response body), short: it is stored and logged. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, LAST_ERROR_MAX_LENGTH);
}
