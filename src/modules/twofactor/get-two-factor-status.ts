import type { Kysely } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';
import { type BackupCodeStatus, findBackupCodeStatus } from './backup-codes/backup-code-sets.js';
import { type Factor, listConfirmedFactors } from './factors.js';

export interface TwoFactorStatus {
  factors: Factor[];
  backupCodes: BackupCodeStatus | null;
}

export async function getTwoFactorStatus(db: Kysely<Tables>, userId: string, now: Date): Promise<TwoFactorStatus> {
  const [factors, backupCodes] = await Promise.all([listConfirmedFactors(db, userId), findBackupCodeStatus(db, userId, now)]);
  return { factors, backupCodes };
}
