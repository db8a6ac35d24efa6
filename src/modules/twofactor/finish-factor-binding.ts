// The common end of binding any new factor (authenticator app, text message, passkey), in
// the transaction that made it active: the audit row, the notice to the user (NIST SP
// 800-63B-4 §4.1.2.1: binding a new authenticator is notified), and — for a session that was
// enrolling its first factor — signing it in under a new token.
import type { Kysely } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { type AuditEventType, type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import { type CurrentSession, upgradeSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { enqueueNotification } from '../notifications/enqueue-notification.js';

export type BindingResult = { status: 'confirmed' } | { status: 'signed_in'; token: string };

export async function finishFactorBinding(
  trx: Kysely<Tables>,
  deps: Pick<Deps, 'keys'>,
  input: { session: CurrentSession; factorId: string; factorLabel: string; auditType: AuditEventType; meta: RequestMeta; now: Date },
): Promise<BindingResult> {
  const userId = input.session.user.id;
  await recordAuditEvent(trx, {
    type: input.auditType,
    at: input.now,
    actorId: userId,
    targetId: userId,
    outcome: 'success',
    meta: input.meta,
    details: { factorId: input.factorId },
  });
  await enqueueNotification(trx, deps.keys, { userId, at: input.now, message: { kind: 'factor_added', factorLabel: input.factorLabel } });
  if (input.session.state !== 'enrollment') return { status: 'confirmed' };
  const token = await upgradeSession(trx, { sessionId: input.session.id, from: ['enrollment'], now: input.now });
  if (token === null) throw new AppError('unauthenticated');
  return { status: 'signed_in', token };
}
