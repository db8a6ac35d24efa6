// First factor (SPEC §3 step 1). Unknown user, wrong password, disabled user and wrong
// surface all get the same answer after the same work (ASVS 5.0 6.3.8).
import type { Surface } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent, withAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { type SignInFactor, listConfirmedFactors, listSignInFactors } from '../twofactor/factors.js';
import { verifyPassword } from '../users/passwords.js';
import { findUserByUsername, surfaceOf } from '../users/users-repository.js';
import { createSession } from './sessions.js';

export type PasswordStepResult =
  | { status: 'second_factor_required'; token: string; factors: SignInFactor[] }
  | { status: 'enrollment_required'; token: string };

export async function signInWithPassword(
  deps: Deps,
  input: { surface: Surface; username: string; password: string; meta: RequestMeta },
): Promise<PasswordStepResult> {
  const now = deps.clock.now();
  const user = await findUserByUsername(deps.db, input.username);
  const passwordMatches = await verifyPassword(user?.password_hash ?? null, input.password);
  const refusal =
    user === null ? 'unknown_user'
    : !passwordMatches ? 'wrong_password'
    : user.status !== 'active' ? 'user_disabled'
    : surfaceOf(user.kind) !== input.surface ? 'wrong_surface'
    : null;
  if (user === null || refusal !== null) {
    await recordAuditEvent(deps.db, {
      type: 'sign_in.password_failed',
      at: now,
      actorId: user?.id ?? null,
      targetId: user?.id ?? null,
      outcome: 'failure',
      meta: input.meta,
      details: { surface: input.surface, reason: refusal },
    });
    throw new AppError('invalid_credentials');
  }
  const factors = await listSignInFactors(deps.db, user.id, now, { smsEnabled: deps.policy.sms.enabled });
  // A user whose only factors are switched off by policy (SMS) still has factors: the pending
  // session offers what is left (backup codes, or none: staff-issued codes), never enrolment
  // on the password alone.
  const state = factors.length === 0 && (await listConfirmedFactors(deps.db, user.id)).length === 0 ? 'enrollment' : 'pending';
  const succeeded = withAuditEvent(deps.db, {
    type: 'sign_in.password_succeeded',
    at: now,
    actorId: user.id,
    targetId: user.id,
    outcome: 'success',
    meta: input.meta,
    details: { surface: input.surface, next: state === 'pending' ? 'second_factor' : 'enrollment' },
  });
  const token = await createSession(succeeded, { userId: user.id, surface: input.surface, state, now, meta: input.meta });
  return state === 'pending' ? { status: 'second_factor_required', token, factors } : { status: 'enrollment_required', token };
}
