// "Your password was entered but the second step failed" (ASVS 5.0 6.3.5, OWASP MFA cheat
// sheet): the password is known to whoever tried, so the user must hear of it — but not once
// per guess. The choice: at most one such notice per user per lock-out window
// (SECOND_FACTOR_LOCKOUT_SECONDS, 30 min by default). A pending session lives 10 min, so this
// is at most once per pending session; it also holds when someone with the password opens
// pending session after pending session, each failing once, which a per-session rule would
// turn into a flood of mail. Someone still trying after the window is notified again.
import { type QueryCreator, sql } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';
import { addSeconds } from '../../shared/clock.js';
import type { NotificationKind } from './enqueue-notification.js';

const KIND: NotificationKind = 'second_factor_failed';

/**
 * Queues the notice unless one was queued within the quiet period, in one conditional INSERT
 * (every failed attempt at sign-in runs it, so it is one statement, not a read and a write; it
 * carries no secret and an empty payload, so it needs nothing else of enqueueNotification).
 * `db` may carry the failure's audit rows in front (withAuditEvent). The caller's transaction
 * must hold the user's row lock, taken by an earlier statement (the spent attempt): concurrent
 * failures of one user then run this one after the other, each with a snapshot that sees the
 * notice the previous one committed, so two cannot both find none.
 */
export async function enqueueSecondFactorFailureNotice(
  db: QueryCreator<Tables>,
  input: { userId: string; email: string; at: Date; quietPeriodInSeconds: number },
): Promise<boolean> {
  const since = addSeconds(input.at, -input.quietPeriodInSeconds);
  const queued = await db
    .insertInto('notifications')
    .columns(['user_id', 'channel', 'recipient', 'kind', 'created_at', 'next_attempt_at'])
    .expression(
      sql`SELECT ${input.userId}::uuid, 'email', ${input.email}::text, ${KIND}::text, ${input.at}::timestamptz, ${input.at}::timestamptz
          WHERE NOT EXISTS (
            SELECT 1 FROM notifications WHERE user_id = ${input.userId}::uuid AND kind = ${KIND} AND created_at > ${since}::timestamptz
          )`,
    )
    .executeTakeFirst();
  return queued.numInsertedOrUpdatedRows === 1n;
}
