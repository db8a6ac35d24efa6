// "Sign out of all other sessions" (ASVS 5.0 7.5.2, after a recent second factor): every
// session of the user but the one in use, pending ones included.
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import { requireRecentSecondFactor } from '../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';

export async function endOtherSessions(deps: Deps, input: { session: CurrentSession; meta: RequestMeta }): Promise<{ ended: number }> {
  requireRecentSecondFactor(deps, input.session);
  const userId = input.session.user.id;
  return deps.db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', input.session.id).executeTakeFirst();
    const ended = Number(result.numDeletedRows);
    await recordAuditEvent(trx, {
      type: 'sessions.others_ended_by_user',
      at: deps.clock.now(),
      actorId: userId,
      targetId: userId,
      outcome: 'success',
      meta: input.meta,
      details: { ended },
    });
    return { ended };
  });
}
