// Ending one of the user's other sessions from Settings (ASVS 5.0 7.5.2: after a recent
// second factor). The session in use is ended with Sign out, not here.
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import { requireRecentSecondFactor } from '../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';

export async function endSession(deps: Deps, input: { session: CurrentSession; sessionId: string; meta: RequestMeta }): Promise<void> {
  requireRecentSecondFactor(deps, input.session);
  if (input.sessionId === input.session.id) {
    throw new AppError('conflict', { message: 'This is the session you are using. Sign out to end it.' });
  }
  const userId = input.session.user.id;
  await deps.db.transaction().execute(async (trx) => {
    const ended = await trx.deleteFrom('sessions').where('id', '=', input.sessionId).where('user_id', '=', userId).returning('surface').executeTakeFirst();
    if (ended === undefined) throw new AppError('not_found');
    await recordAuditEvent(trx, {
      type: 'session.ended_by_user',
      at: deps.clock.now(),
      actorId: userId,
      targetId: userId,
      outcome: 'success',
      meta: input.meta,
      details: { surface: ended.surface },
    });
  });
}
