import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import { requireRecentSecondFactor } from '../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';

/** Gives one of the user's own confirmed factors a name they recognise ("Work phone"). */
export async function renameFactor(
  deps: Pick<Deps, 'db' | 'clock' | 'policy'>,
  input: { session: CurrentSession; factorId: string; label: string; meta: RequestMeta },
): Promise<{ id: string; label: string }> {
  requireRecentSecondFactor(deps, input.session);
  const userId = input.session.user.id;
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const renamed = await trx
      .updateTable('factors')
      .set({ label: input.label })
      .where('id', '=', input.factorId)
      .where('user_id', '=', userId)
      .where('confirmed_at', 'is not', null)
      .returning(['id', 'label'])
      .executeTakeFirst();
    if (renamed === undefined) throw new AppError('not_found');
    await recordAuditEvent(trx, {
      type: 'factor.renamed',
      at: now,
      actorId: userId,
      targetId: userId,
      outcome: 'success',
      meta: input.meta,
      details: { factorId: renamed.id },
    });
    return renamed;
  });
}
