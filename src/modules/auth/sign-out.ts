import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { type CurrentSession, deleteSession } from './sessions.js';

export async function signOut(deps: Pick<Deps, 'db' | 'clock'>, input: { session: CurrentSession; meta: RequestMeta }): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await deleteSession(trx, input.session.id);
    await recordAuditEvent(trx, {
      type: 'session.signed_out',
      at: deps.clock.now(),
      actorId: input.session.user.id,
      targetId: input.session.user.id,
      outcome: 'success',
      meta: input.meta,
      details: { surface: input.session.surface },
    });
  });
}
