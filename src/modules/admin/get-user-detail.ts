import type { Db } from '../../adapters/db/database.js';
import { AppError } from '../../shared/app-error.js';
import type { CurrentSession } from '../auth/sessions.js';
import { type TwoFactorStatus, getTwoFactorStatus } from '../twofactor/get-two-factor-status.js';
import { backupCodeGenerationRefusal, sessionEndingRefusal } from './can-generate-backup-codes.js';
import { type UserListItem, toUserListItem } from '../users/users-repository.js';

export interface UserDetail {
  user: UserListItem & { phone: string | null; createdAt: Date };
  twoFactor: TwoFactorStatus;
  can: { generateBackupCodes: boolean; endSessions: boolean };
}

export async function getUserDetail(db: Db, input: { actor: CurrentSession; userId: string; now: Date }): Promise<UserDetail> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', input.userId).executeTakeFirst();
  if (row === undefined) throw new AppError('not_found');
  const twoFactor = await getTwoFactorStatus(db, row.id, input.now);
  return {
    user: { ...toUserListItem(row), phone: row.phone, createdAt: new Date(row.created_at) },
    twoFactor,
    can: {
      generateBackupCodes: backupCodeGenerationRefusal(input.actor.user, row) === null,
      endSessions: sessionEndingRefusal(input.actor.user, row) === null,
    },
  };
}
