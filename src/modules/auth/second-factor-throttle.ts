// Per-account throttling of second-factor attempts (PCI DSS v4 8.3.4, NIST SP 800-63B-4
// §3.2.2): at most `maxFailures` consecutive failures, then the account's second factor is
// locked for `lockoutInSeconds`, during which even a correct code is refused. The counter
// lives on the user row, so every server instance shares it.
//
// An attempt is spent *before* the code is checked, in one conditional UPDATE that also
// takes the user's row lock, held by the caller's transaction until the answer is recorded:
// a burst of concurrent guesses can never check more than `maxFailures` codes. A success
// gives it back.
import { type Kysely, type QueryCreator, sql } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';
import { addSeconds } from '../../shared/clock.js';

export interface ThrottlePolicy {
  maxSecondFactorFailures: number;
  lockoutInSeconds: number;
}

export type SpentAttempt =
  | { allowed: true; failuresSoFar: number; locksOnFailure: boolean; /** Where the user's notices go, read with the lock. */ email: string }
  | { allowed: false; retryAfterSeconds: number };

export async function spendSecondFactorAttempt(
  trx: Kysely<Tables>,
  input: { userId: string; now: Date; policy: ThrottlePolicy },
): Promise<SpentAttempt> {
  const { maxSecondFactorFailures: max, lockoutInSeconds } = input.policy;
  // After a lock-out has run its course the count starts again from one.
  const spent = await trx
    .updateTable('users')
    .set((eb) => {
      const next = eb
        .case()
        .when('second_factor_locked_until', 'is not', null)
        .then(sql<number>`1`)
        .else(eb('second_factor_failures', '+', 1))
        .end();
      return {
        second_factor_failures: next,
        second_factor_locked_until: eb
          .case()
          .when(next, '>=', max)
          .then(sql<Date>`${addSeconds(input.now, lockoutInSeconds)}::timestamptz`)
          .else(sql<null>`NULL`)
          .end(),
      };
    })
    .where('id', '=', input.userId)
    .where((eb) => eb.or([eb('second_factor_locked_until', 'is', null), eb('second_factor_locked_until', '<=', input.now)]))
    .returning(['second_factor_failures', 'email'])
    .executeTakeFirst();
  if (spent !== undefined) {
    return { allowed: true, failuresSoFar: spent.second_factor_failures, locksOnFailure: spent.second_factor_failures >= max, email: spent.email };
  }
  const locked = await trx
    .selectFrom('users')
    .select('second_factor_locked_until')
    .where('id', '=', input.userId)
    .executeTakeFirst();
  const until = locked?.second_factor_locked_until;
  const retryAfterSeconds = until == null ? lockoutInSeconds : Math.max(1, Math.ceil((new Date(until).getTime() - input.now.getTime()) / 1000));
  return { allowed: false, retryAfterSeconds };
}

export async function resetSecondFactorAttempts(db: QueryCreator<Tables>, userId: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ second_factor_failures: 0, second_factor_locked_until: null })
    .where('id', '=', userId)
    .execute();
}
