import type { Kysely } from 'kysely';
import type { FactorType, Tables } from '../../adapters/db/schema.js';
import { findBackupCodeStatus } from './backup-codes/backup-code-sets.js';

/** The id under which a user's backup codes appear in the factor list. */
export const BACKUP_CODES_FACTOR_ID = 'backup_codes';
export const BACKUP_CODES_LABEL = 'Backup codes';

export interface Factor {
  id: string;
  /** An authenticator app, a passkey or security key, or a phone for text messages. */
  type: FactorType;
  label: string;
  createdAt: Date;
}

export interface SignInFactor {
  id: string;
  type: FactorType | 'backup_codes';
  label: string;
}

export async function listConfirmedFactors(db: Kysely<Tables>, userId: string): Promise<Factor[]> {
  const rows = await db
    .selectFrom('factors')
    .select(['id', 'type', 'label', 'created_at'])
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is not', null)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({ id: row.id, type: row.type, label: row.label, createdAt: new Date(row.created_at) }));
}

/**
 * What the user may pick from at sign-in: each confirmed factor, and "Backup codes" while any is
 * usable. SMS factors only while the policy allows SMS (SPEC §3: "can be disabled by policy").
 */
export async function listSignInFactors(
  db: Kysely<Tables>,
  userId: string,
  now: Date,
  options: { smsEnabled: boolean } = { smsEnabled: false },
): Promise<SignInFactor[]> {
  const [factors, backupCodes] = await Promise.all([listConfirmedFactors(db, userId), findBackupCodeStatus(db, userId, now)]);
  const choices: SignInFactor[] = factors
    .filter((factor) => factor.type !== 'sms' || options.smsEnabled)
    .map((factor) => ({ id: factor.id, type: factor.type, label: factor.label }));
  if (backupCodes !== null && backupCodes.remaining > 0) {
    choices.push({ id: BACKUP_CODES_FACTOR_ID, type: 'backup_codes', label: BACKUP_CODES_LABEL });
  }
  return choices;
}
