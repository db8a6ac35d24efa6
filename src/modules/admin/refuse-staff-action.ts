// A staff action on a user that the rules refuse is written to the audit log before the
// refusal is answered (ASVS 5.0 16.3.2): who tried, on whom, and why — never silently.
import { AppError } from '../../shared/app-error.js';
import { type AuditEventType, type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';

export async function refuseStaffAction(
  deps: Pick<Deps, 'db'>,
  input: { type: AuditEventType; at: Date; actorId: string; requestedTargetId: string; meta: RequestMeta },
  code: 'forbidden' | 'not_found' | 'user_disabled',
  reason: string,
): Promise<never> {
  await recordAuditEvent(deps.db, {
    type: input.type,
    at: input.at,
    actorId: input.actorId,
    // An id that names nobody is kept in the details only.
    targetId: code === 'not_found' ? null : input.requestedTargetId,
    outcome: 'failure',
    meta: input.meta,
    details: { reason, requestedTargetId: input.requestedTargetId },
  });
  throw new AppError(code);
}
