// Password change (SPEC §4): the current password first, then the policy (SECURITY.md §1),
// then — in one transaction — the new hash, every session of the user ended on every device
// and server instance (sessions live in the database), the audit row and the notice
// (ASVS 5.0 7.4.3, SECURITY.md §9.1).
import { AppError } from '../../shared/app-error.js';
import { INVALID_PASSWORD_MESSAGE } from '../../../contract/settings.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { enqueueNotification } from '../notifications/enqueue-notification.js';
import { passwordPolicyViolation } from '../users/password-policy.js';
import { hashPassword, verifyPassword } from '../users/passwords.js';

export async function changePassword(
  deps: Deps,
  input: { session: CurrentSession; currentPassword: string; newPassword: string; meta: RequestMeta },
): Promise<{ sessionsEnded: number }> {
  const { user } = input.session;
  const now = deps.clock.now();
  const audit = { at: now, actorId: user.id, targetId: user.id, meta: input.meta };
  const row = await deps.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirst();
  if (row === undefined) throw new AppError('unauthenticated');
  if (!(await verifyPassword(row.password_hash, input.currentPassword))) {
    await recordAuditEvent(deps.db, { ...audit, type: 'password.change_refused', outcome: 'failure', details: { reason: 'wrong_current_password' } });
    throw new AppError('invalid_credentials', { message: 'Your current password is not correct.', fields: { currentPassword: 'Your current password is not correct.' } });
  }
  const weakness =
    input.newPassword === input.currentPassword
      ? 'Choose a password different from your current one.'
      : passwordPolicyViolation(input.newPassword, { username: user.username, email: user.email, firstName: user.firstName, lastName: user.lastName });
  if (weakness !== null) throw new AppError('validation_failed', { fields: { newPassword: `${INVALID_PASSWORD_MESSAGE}. ${weakness}` } });

  const passwordHash = await hashPassword(input.newPassword);
  const result = await deps.db.transaction().execute(async (trx) => {
    // Conditional on the hash just checked: of two changes at once, the second is refused.
    const changed = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', user.id)
      .where('password_hash', '=', row.password_hash)
      .executeTakeFirst();
    if (changed.numUpdatedRows !== 1n) throw new AppError('invalid_credentials', { message: 'Your current password is not correct.' });
    const ended = await trx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst();
    const sessionsEnded = Number(ended.numDeletedRows);
    await recordAuditEvent(trx, { ...audit, type: 'password.changed', outcome: 'success', details: { sessionsEnded } });
    await enqueueNotification(trx, deps.keys, { userId: user.id, at: now, message: { kind: 'password_changed' } });
    return { sessionsEnded };
  });
  deps.notifier.wake();
  return result;
}
