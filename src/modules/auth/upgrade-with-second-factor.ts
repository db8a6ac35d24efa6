// A session proves a second factor and is upgraded under a new token (ASVS 5.0 7.2.4):
// the shared tail of completing a sign-in (pending → active) and of step-up (active → active).
// A sign-in with a staff-issued backup code also marks the account to be secured (SPEC §2).
import type { SessionState } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, withAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { markAccountToSecure } from '../settings/account-securing.js';
import { proveSecondFactor } from './prove-second-factor.js';
import { type SecondFactorAnswer, proofInputOf } from './second-factor-answer.js';
import { type CurrentSession, upgradeSession } from './sessions.js';

export async function upgradeWithSecondFactor(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; meta: RequestMeta } & SecondFactorAnswer,
  step: { from: SessionState; purpose: 'sign_in' | 'reauthentication' },
): Promise<{ token: string; signedInWithStaffCode: boolean }> {
  const { session } = input;
  if (session.state !== step.from) throw new AppError('unauthenticated');
  const now = deps.clock.now();
  return proveSecondFactor(
    { db: deps.db, keys: deps.keys, throttle: deps.policy.throttle, notifier: deps.notifier, smsEnabled: deps.policy.sms.enabled },
    { userId: session.user.id, factorId: input.factorId, ...proofInputOf(input, session.id), now, meta: input.meta, purpose: step.purpose },
    async (trx, proof) => {
      const signedInWithStaffCode = step.purpose === 'sign_in' && proof.backupCodeOrigin === 'staff';
      const succeeded = withAuditEvent(trx, {
        type: step.purpose === 'sign_in' ? 'sign_in.succeeded' : 'reauthentication.succeeded',
        at: now,
        actorId: session.user.id,
        targetId: session.user.id,
        outcome: 'success',
        meta: input.meta,
        details: { surface: session.surface, factor: proof.factorType, ...(signedInWithStaffCode ? { mustSecureAccount: true } : {}) },
      });
      // No session to upgrade (ended meanwhile): the transaction, audit row included, rolls back.
      const token = await upgradeSession(succeeded, { sessionId: session.id, from: [step.from], now });
      if (token === null) throw new AppError('unauthenticated');
      if (signedInWithStaffCode) await markAccountToSecure(trx, session.user.id, now);
      return { token, signedInWithStaffCode };
    },
  );
}
