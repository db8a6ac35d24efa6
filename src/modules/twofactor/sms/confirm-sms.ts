import { AppError } from '../../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../../audit/record-audit-event.js';
import { requireFactorManagement } from '../../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { SMS_DISABLED_MESSAGE } from './enroll-sms.js';
import { consumeSmsCode, countSmsCodeAttempt, matchSmsCode } from './sms-codes.js';
import { finishFactorBinding } from '../finish-factor-binding.js';

/**
 * The phone is verified once the code texted to it comes back (SECURITY §2.5): the factor
 * becomes active. A session that was enrolling its first factor is signed in by it, under a
 * new token, as with an authenticator app.
 */
export async function confirmSms(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; code: string; meta: RequestMeta },
): Promise<{ status: 'confirmed' } | { status: 'signed_in'; token: string }> {
  requireFactorManagement(deps, input.session);
  if (!deps.policy.sms.enabled) throw new AppError('forbidden', { message: SMS_DISABLED_MESSAGE });
  const now = deps.clock.now();
  const userId = input.session.user.id;
  const factor = await deps.db
    .selectFrom('factors')
    .select(['id', 'label'])
    .where('id', '=', input.factorId)
    .where('user_id', '=', userId)
    .where('type', '=', 'sms')
    .where('confirmed_at', 'is', null)
    .executeTakeFirst();
  if (factor === undefined) throw new AppError('not_found');
  const match = await matchSmsCode(deps.db, deps.keys, { userId, factorId: factor.id, sessionId: input.session.id, purpose: 'enrollment', code: input.code, now });
  if (!match.matches || match.codeId === null) {
    await deps.db.transaction().execute(async (trx) => {
      if (match.codeId !== null) await countSmsCodeAttempt(trx, match.codeId);
      await recordAuditEvent(trx, {
        type: 'factor.sms_code_refused',
        at: now,
        actorId: userId,
        targetId: userId,
        outcome: 'failure',
        meta: input.meta,
        details: { factorId: factor.id },
      });
    });
    throw new AppError('invalid_code');
  }
  const codeId = match.codeId;
  const result = await deps.db.transaction().execute(async (trx) => {
    if (!(await consumeSmsCode(trx, { codeId, now }))) throw new AppError('invalid_code');
    const confirmed = await trx
      .updateTable('factors')
      .set({ confirmed_at: now })
      .where('id', '=', factor.id)
      .where('confirmed_at', 'is', null)
      .executeTakeFirst();
    if (confirmed.numUpdatedRows !== 1n) throw new AppError('not_found');
    return finishFactorBinding(trx, deps, { session: input.session, factorId: factor.id, factorLabel: factor.label, auditType: 'factor.sms_confirmed', meta: input.meta, now });
  });
  deps.notifier.wake();
  return result;
}
