// Step-up (SPEC §2, §7): a signed-in user proves a second factor again before a sensitive
// action. The session's token is rotated, as at every authentication (ASVS 5.0 7.2.4).
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { proveSecondFactor } from './prove-second-factor.js';
import { type CurrentSession, upgradeSession } from './sessions.js';

export async function reauthenticate(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; code: string; meta: RequestMeta },
): Promise<{ token: string }> {
  const { session } = input;
  if (session.state !== 'active') throw new AppError('unauthenticated');
  const now = deps.clock.now();
  return proveSecondFactor(
    { db: deps.db, keys: deps.keys, throttle: deps.policy.throttle },
    { userId: session.user.id, factorId: input.factorId, code: input.code, now, meta: input.meta, purpose: 'reauthentication' },
    async (trx, proof) => {
      const token = await upgradeSession(trx, { sessionId: session.id, from: ['active'], now });
      if (token === null) throw new AppError('unauthenticated');
      await recordAuditEvent(trx, {
        type: 'reauthentication.succeeded',
        at: now,
        actorId: session.user.id,
        targetId: session.user.id,
        outcome: 'success',
        meta: input.meta,
        details: { surface: session.surface, factor: proof.factorType },
      });
      return { token };
    },
  );
}
