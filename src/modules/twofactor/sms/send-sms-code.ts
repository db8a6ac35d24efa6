import { AppError } from '../../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../../audit/record-audit-event.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { phoneEnding } from './phone-numbers.js';
import { checkSmsSendLimit, issueSmsCode } from './sms-codes.js';

/**
 * Texts a fresh code for one of the user's confirmed SMS factors, at sign-in or step-up
 * (SPEC §3 step 2: "SMS sends a fresh one-time code"). The caller has checked the session's
 * state and that the factor may be picked. Older codes stop working; the failure count is not
 * touched (SECURITY §3.2); at most `maxPerHour` texts per account (SECURITY §3.3).
 */
export async function sendSmsCode(deps: Deps, input: { session: CurrentSession; factorId: string; meta: RequestMeta }): Promise<void> {
  if (!deps.policy.sms.enabled) throw new AppError('not_found');
  const now = deps.clock.now();
  const userId = input.session.user.id;
  const factor = await deps.db
    .selectFrom('factors')
    .select(['id', 'phone'])
    .where('id', '=', input.factorId)
    .where('user_id', '=', userId)
    .where('type', '=', 'sms')
    .where('confirmed_at', 'is not', null)
    .executeTakeFirst();
  if (factor === undefined || factor.phone === null) throw new AppError('not_found');
  const phone = factor.phone;
  try {
    await deps.db.transaction().execute(async (trx) => {
      await checkSmsSendLimit(trx, deps.keys, { userId, phone, now, maxPerHour: deps.policy.sms.maxPerHour });
      await issueSmsCode(trx, deps.keys, { userId, factorId: factor.id, sessionId: input.session.id, phone, purpose: 'authentication', now });
      await recordAuditEvent(trx, {
        type: 'second_factor.sms_sent',
        at: now,
        actorId: userId,
        targetId: userId,
        outcome: 'success',
        meta: input.meta,
        details: { factorId: factor.id, phoneEnding: phoneEnding(phone), surface: input.session.surface },
      });
    });
  } catch (error) {
    if (error instanceof AppError && error.code === 'too_many_attempts') {
      await recordAuditEvent(deps.db, {
        type: 'second_factor.sms_limited',
        at: now,
        actorId: userId,
        targetId: userId,
        outcome: 'failure',
        meta: input.meta,
        details: { factorId: factor.id, retryAfterSeconds: error.retryAfterSeconds ?? null },
      });
    }
    throw error;
  }
  deps.notifier.wake();
}
