// "Sign out everywhere" for a user, by staff (ASVS 5.0 7.4.5): a stolen phone or a leaked
// password is reported to the help desk, which ends every session of that user at once,
// pending ones included. Guards as for backup codes: permission, target, then step-up.
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import { requireRecentSecondFactor } from '../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { refuseStaffAction } from './refuse-staff-action.js';
import { CHANGE_USERS, sessionEndingRefusal, targetRefusal } from './can-generate-backup-codes.js';

export async function endUserSessions(
  deps: Deps,
  input: { actor: CurrentSession; targetId: string; meta: RequestMeta },
): Promise<{ ended: number }> {
  const { actor } = input;
  const now = deps.clock.now();
  const refuse = (code: 'forbidden' | 'not_found', reason: string) =>
    refuseStaffAction(deps, { type: 'sessions.ending_refused', at: now, actorId: actor.user.id, requestedTargetId: input.targetId, meta: input.meta }, code, reason);
  if (!actor.user.permissions.includes(CHANGE_USERS)) return refuse('forbidden', 'missing_permission');
  const target = await deps.db.selectFrom('users').select(['id', 'kind', 'status']).where('id', '=', input.targetId).executeTakeFirst();
  if (target === undefined) return refuse('not_found', 'no_such_user');
  if (sessionEndingRefusal(actor.user, target) !== null) return refuse('forbidden', targetRefusal(actor.user, target) ?? 'forbidden');
  requireRecentSecondFactor(deps, actor);
  return deps.db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('sessions').where('user_id', '=', target.id).executeTakeFirst();
    const ended = Number(result.numDeletedRows);
    await recordAuditEvent(trx, {
      type: 'sessions.ended_by_staff',
      at: now,
      actorId: actor.user.id,
      targetId: target.id,
      outcome: 'success',
      meta: input.meta,
      details: { ended },
    });
    return { ended };
  });
}
