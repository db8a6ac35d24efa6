// Second factor at sign-in (SPEC §3 step 2): only a pending session may, and on success it
// becomes a signed-in session under a new token.
import type { RequestMeta } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import type { CurrentSession, SignedInUser } from './sessions.js';
import type { SecondFactorAnswer } from './second-factor-answer.js';
import { upgradeWithSecondFactor } from './upgrade-with-second-factor.js';

export async function completeSignIn(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; meta: RequestMeta } & SecondFactorAnswer,
): Promise<{ token: string; user: SignedInUser }> {
  const { token, signedInWithStaffCode } = await upgradeWithSecondFactor(deps, input, { from: 'pending', purpose: 'sign_in' });
  const { status: _status, ...user } = input.session.user;
  if (!signedInWithStaffCode) return { token, user };
  // The session was read before this sign-in marked the account: everything is owed now.
  return { token, user: { ...user, mustSecureAccount: true, accountSecuring: { needsFactor: true, needsRecoveryCodes: true } } };
}
