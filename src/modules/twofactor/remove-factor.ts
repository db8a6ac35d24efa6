import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import { requireRecentSecondFactor } from '../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { enqueueNotification } from '../notifications/enqueue-notification.js';

/** Removes one of the user's own factors; the last one stays (a bank account keeps 2FA). */
export async function removeFactor(deps: Deps, input: { session: CurrentSession; factorId: string; meta: RequestMeta }): Promise<void> {
  requireRecentSecondFactor(deps, input.session);
  const now = deps.clock.now();
  const userId = input.session.user.id;
  await deps.db.transaction().execute(async (trx) => {
    const factors = await trx
      .selectFrom('factors')
      .select(['id', 'type', 'label', 'confirmed_at'])
      .where('user_id', '=', userId)
      .forUpdate()
      .execute();
    const target = factors.find((factor) => factor.id === input.factorId);
    if (target === undefined) throw new AppError('not_found');
    const confirmedCount = factors.filter((factor) => factor.confirmed_at !== null).length;
    if (target.confirmed_at !== null && confirmedCount <= 1) {
      throw new AppError('conflict', { message: 'Add another factor before removing your last one.' });
    }
    await trx.deleteFrom('factors').where('id', '=', target.id).execute();
    await recordAuditEvent(trx, {
      type: 'factor.removed',
      at: now,
      actorId: userId,
      targetId: userId,
      outcome: 'success',
      meta: input.meta,
      details: { factorId: target.id, type: target.type },
    });
    // An unconfirmed factor never worked: removing it changes nothing the user must hear of.
    if (target.confirmed_at !== null) {
      await enqueueNotification(trx, deps.keys, { userId, at: now, message: { kind: 'factor_removed', factorLabel: target.label } });
    }
  });
  deps.notifier.wake();
}
