// "Your password was entered but the second step failed" (ASVS 5.0 6.3.5, OWASP MFA cheat
// sheet): the password is known to whoever tried, so the user must hear of it — but not once
// per guess. The choice: at most one such notice per user per lock-out window
// (SECOND_FACTOR_LOCKOUT_SECONDS, 30 min by default). A pending session lives 10 min, so this
// is at most once per pending session; it also holds when someone with the password opens
// pending session after pending session, each failing once, which a per-session rule would
// turn into a flood of mail. Someone still trying after the window is notified again.
import type { Kysely } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';
import { addSeconds } from '../../shared/clock.js';
import type { ServerKeys } from '../../shared/secrets.js';
import { enqueueNotification } from './enqueue-notification.js';

/**
 * The caller's transaction must hold the user's row lock (the spent attempt does): concurrent
 * failures of one user then queue one after the other, so two cannot both find none.
 */
export async function enqueueSecondFactorFailureNotice(
  trx: Kysely<Tables>,
  keys: ServerKeys,
  input: { userId: string; email: string; at: Date; quietPeriodInSeconds: number },
): Promise<boolean> {
  const recent = await trx
    .selectFrom('notifications')
    .select('id')
    .where('user_id', '=', input.userId)
    .where('kind', '=', 'second_factor_failed')
    .where('created_at', '>', addSeconds(input.at, -input.quietPeriodInSeconds))
    .limit(1)
    .executeTakeFirst();
  if (recent !== undefined) return false;
  await enqueueNotification(trx, keys, { userId: input.userId, at: input.at, to: input.email, message: { kind: 'second_factor_failed' } });
  return true;
}
