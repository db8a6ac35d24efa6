// The new address proves itself with the code sent to it (SPEC §4, SECURITY.md §8.2): an
// attempt is spent before the code is compared, and the change is applied by one conditional
// UPDATE on the code's hash, so a code confirms once, never twice.
import { sql } from 'kysely';
import { AppError } from '../../shared/app-error.js';
import { constantTimeEqual } from '../../shared/secrets.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { EMAIL_CODE_MAX_ATTEMPTS, emailCodeHash, normalizeEmailCode } from './email-change-codes.js';

export async function confirmEmailChange(
  deps: Deps,
  input: { session: CurrentSession; code: string; meta: RequestMeta },
): Promise<{ email: string }> {
  const userId = input.session.user.id;
  const now = deps.clock.now();
  const audit = { at: now, actorId: userId, targetId: userId, meta: input.meta };
  const spent = await deps.db
    .updateTable('users')
    .set({ pending_email_attempts: sql`pending_email_attempts + 1` })
    .where('id', '=', userId)
    .where('pending_email', 'is not', null)
    .where('pending_email_expires_at', '>', now)
    .where('pending_email_attempts', '<', EMAIL_CODE_MAX_ATTEMPTS)
    .returning(['pending_email', 'pending_email_code_hash', 'pending_email_attempts'])
    .executeTakeFirst();
  if (spent === undefined || spent.pending_email === null || spent.pending_email_code_hash === null) {
    await recordAuditEvent(deps.db, { ...audit, type: 'email_change.code_refused', outcome: 'failure', details: { reason: 'no_usable_code' } });
    throw new AppError('invalid_code', { message: 'This code can no longer be used. Change your email again to get a new code.' });
  }
  const newEmail = spent.pending_email;
  const hash = emailCodeHash(deps.keys, { userId, email: newEmail, code: normalizeEmailCode(input.code) });
  if (!constantTimeEqual(hash, spent.pending_email_code_hash)) {
    const attemptsLeft = EMAIL_CODE_MAX_ATTEMPTS - spent.pending_email_attempts;
    await recordAuditEvent(deps.db, { ...audit, type: 'email_change.code_refused', outcome: 'failure', details: { reason: 'wrong_code', attemptsLeft } });
    throw new AppError('invalid_code', {
      message: attemptsLeft > 0 ? 'That code is not valid.' : 'That code is not valid. Change your email again to get a new code.',
    });
  }
  return deps.db.transaction().execute(async (trx) => {
    const applied = await trx
      .updateTable('users')
      .set({
        email: newEmail,
        pending_email: null,
        pending_email_code_hash: null,
        pending_email_expires_at: null,
        pending_email_attempts: 0,
        updated_at: now,
      })
      .where('id', '=', userId)
      .where('pending_email_code_hash', '=', hash)
      .executeTakeFirst();
    if (applied.numUpdatedRows !== 1n) throw new AppError('invalid_code', { message: 'This code can no longer be used. Change your email again to get a new code.' });
    await recordAuditEvent(trx, { ...audit, type: 'email_change.confirmed', outcome: 'success', details: { previousEmail: input.session.user.email, newEmail } });
    return { email: newEmail };
  });
}
