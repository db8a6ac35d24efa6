import { AppError } from '../../../shared/app-error.js';
import { decrypt } from '../../../shared/secrets.js';
import { type RequestMeta, recordAuditEvent } from '../../audit/record-audit-event.js';
import { requireFactorManagement } from '../../auth/require-recent-second-factor.js';
import { type CurrentSession, upgradeSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { enqueueNotification } from '../../notifications/enqueue-notification.js';
import { matchTotpStep } from './totp.js';

/**
 * The factor becomes active once a code from the app matches. A session that was enrolling
 * its first factor is signed in by it, under a new token.
 */
export async function confirmTotp(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; code: string; meta: RequestMeta },
): Promise<{ status: 'confirmed' } | { status: 'signed_in'; token: string }> {
  requireFactorManagement(deps, input.session);
  const now = deps.clock.now();
  const userId = input.session.user.id;
  const factor = await deps.db
    .selectFrom('factors')
    .select(['id', 'label', 'secret_ciphertext'])
    .where('id', '=', input.factorId)
    .where('user_id', '=', userId)
    .where('type', '=', 'totp')
    .where('confirmed_at', 'is', null)
    .executeTakeFirst();
  if (factor === undefined || factor.secret_ciphertext === null) throw new AppError('not_found');
  const step = matchTotpStep({ secretBase32: decrypt(deps.keys.get('totp-seed-encryption'), factor.secret_ciphertext) }, input.code, now);
  if (step === null) throw new AppError('invalid_code');
  const result = await deps.db.transaction().execute(async (trx) => {
    const confirmed = await trx
      .updateTable('factors')
      .set({ confirmed_at: now, last_used_step: step })
      .where('id', '=', factor.id)
      .where('confirmed_at', 'is', null)
      .executeTakeFirst();
    if (confirmed.numUpdatedRows !== 1n) throw new AppError('not_found');
    await recordAuditEvent(trx, {
      type: 'factor.totp_confirmed',
      at: now,
      actorId: userId,
      targetId: userId,
      outcome: 'success',
      meta: input.meta,
      details: { factorId: factor.id },
    });
    // NIST SP 800-63B-4 §4.1.2.1: binding a new authenticator is notified.
    await enqueueNotification(trx, deps.keys, { userId, at: now, message: { kind: 'factor_added', factorLabel: factor.label } });
    if (input.session.state !== 'enrollment') return { status: 'confirmed' as const };
    const token = await upgradeSession(trx, { sessionId: input.session.id, from: ['enrollment'], now });
    if (token === null) throw new AppError('unauthenticated');
    return { status: 'signed_in' as const, token };
  });
  deps.notifier.wake();
  return result;
}
