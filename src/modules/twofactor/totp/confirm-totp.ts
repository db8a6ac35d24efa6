import { AppError } from '../../../shared/app-error.js';
import { decrypt } from '../../../shared/secrets.js';
import type { RequestMeta } from '../../audit/record-audit-event.js';
import { requireFactorManagement } from '../../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { matchTotpStep } from './totp.js';
import { finishFactorBinding } from '../finish-factor-binding.js';

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
    return finishFactorBinding(trx, deps, { session: input.session, factorId: factor.id, factorLabel: factor.label, auditType: 'factor.totp_confirmed', meta: input.meta, now });
  });
  deps.notifier.wake();
  return result;
}
