// Second factor at sign-in (SPEC §3 step 2): only a pending session may, and on success it
// becomes a signed-in session under a new token.
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import type { PublicUser } from '../users/users-repository.js';
import { proveSecondFactor } from './prove-second-factor.js';
import { type CurrentSession, upgradeSession } from './sessions.js';

export async function completeSignIn(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; code: string; meta: RequestMeta },
): Promise<{ token: string; user: PublicUser }> {
  const { session } = input;
  if (session.state !== 'pending') throw new AppError('unauthenticated');
  const now = deps.clock.now();
  return proveSecondFactor(
    { db: deps.db, keys: deps.keys, throttle: deps.policy.throttle },
    { userId: session.user.id, factorId: input.factorId, code: input.code, now, meta: input.meta, purpose: 'sign_in' },
    async (trx, proof) => {
      const token = await upgradeSession(trx, { sessionId: session.id, from: ['pending'], now });
      if (token === null) throw new AppError('unauthenticated');
      await recordAuditEvent(trx, {
        type: 'sign_in.succeeded',
        at: now,
        actorId: session.user.id,
        targetId: session.user.id,
        outcome: 'success',
        meta: input.meta,
        details: { surface: session.surface, factor: proof.factorType },
      });
      const { status: _status, ...user } = session.user;
      return { token, user };
    },
  );
}
