import { AppError } from '../../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../../audit/record-audit-event.js';
import { requireFactorManagement } from '../../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { PHONE_FORMAT_MESSAGE, normalizePhone, phoneEnding, smsFactorLabel } from './phone-numbers.js';
import { checkSmsSendLimit, issueSmsCode } from './sms-codes.js';

export const SMS_DISABLED_MESSAGE = 'Text message (SMS) codes are turned off by the bank. Choose another way to verify.';

/**
 * Starts enrolment (SECURITY §2.5, §5.4): the phone becomes a factor, unconfirmed until the
 * code texted to it comes back (confirmSms). Counts against the hourly send limit.
 */
export async function enrollSms(deps: Deps, input: { session: CurrentSession; phone: string; meta: RequestMeta }): Promise<{ factorId: string }> {
  requireFactorManagement(deps, input.session);
  if (!deps.policy.sms.enabled) throw new AppError('forbidden', { message: SMS_DISABLED_MESSAGE });
  const phone = normalizePhone(input.phone);
  if (phone === null) throw new AppError('validation_failed', { message: PHONE_FORMAT_MESSAGE, fields: { phone: PHONE_FORMAT_MESSAGE } });
  const now = deps.clock.now();
  const userId = input.session.user.id;
  const factorId = await deps.db.transaction().execute(async (trx) => {
    await checkSmsSendLimit(trx, deps.keys, { userId, phone, now, maxPerHour: deps.policy.sms.maxPerHour });
    // An abandoned enrolment leaves nothing behind once a new one starts (its codes stay, counted).
    await trx.deleteFrom('factors').where('user_id', '=', userId).where('confirmed_at', 'is', null).execute();
    const factor = await trx
      .insertInto('factors')
      .values({ user_id: userId, type: 'sms', label: smsFactorLabel(phone), phone, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await issueSmsCode(trx, deps.keys, { userId, factorId: factor.id, sessionId: input.session.id, phone, purpose: 'enrollment', now });
    await recordAuditEvent(trx, {
      type: 'factor.sms_enrolled',
      at: now,
      actorId: userId,
      targetId: userId,
      outcome: 'success',
      meta: input.meta,
      details: { factorId: factor.id, phoneEnding: phoneEnding(phone) },
    });
    return factor.id;
  });
  deps.notifier.wake();
  return { factorId };
}
