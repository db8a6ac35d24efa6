// After a sign-in with a staff-issued backup code the account must be secured (SPEC §2): a
// factor confirmed and an own recovery-code set created, both after that sign-in. The moment
// is kept in users.must_secure_since; what is still owed is worked out from the factors and
// sets themselves, so it is right whichever order the two steps are done in.
import { type Kysely, sql } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';

export interface AccountSecuring {
  needsFactor: boolean;
  needsRecoveryCodes: boolean;
}

const factorConfirmedSince = sql`EXISTS (SELECT 1 FROM factors f WHERE f.user_id = u.id AND f.confirmed_at >= u.must_secure_since)`;
const ownCodesCreatedSince = sql`EXISTS (SELECT 1 FROM backup_code_sets b WHERE b.user_id = u.id AND b.origin = 'self' AND b.created_at >= u.must_secure_since)`;

/** Two select-list columns over `users u`: needs_factor, needs_recovery_codes; null when nothing is owed. */
export function accountSecuringOf() {
  return sql`CASE WHEN u.must_secure_since IS NULL THEN NULL ELSE NOT ${factorConfirmedSince} END AS needs_factor,
             CASE WHEN u.must_secure_since IS NULL THEN NULL ELSE NOT ${ownCodesCreatedSince} END AS needs_recovery_codes`;
}

/** A sign-in with a staff-issued code: from now on, the account is to be secured again. */
export async function markAccountToSecure(trx: Kysely<Tables>, userId: string, now: Date): Promise<void> {
  await trx.updateTable('users').set({ must_secure_since: now }).where('id', '=', userId).execute();
}

/** Clears the mark once both steps are done; true when this call cleared it. */
export async function clearAccountSecuringWhenDone(trx: Kysely<Tables>, userId: string): Promise<boolean> {
  const result = await sql`
    UPDATE users u SET must_secure_since = NULL
    WHERE u.id = ${userId} AND u.must_secure_since IS NOT NULL AND ${factorConfirmedSince} AND ${ownCodesCreatedSince}`.execute(trx);
  return result.numAffectedRows === 1n;
}
