// Second factor at sign-in (SPEC §3 step 2): only a pending session may, and on success it
// becomes a signed-in session under a new token.
import type { RequestMeta } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import type { PublicUser } from '../users/users-repository.js';
import type { CurrentSession } from './sessions.js';
import { upgradeWithSecondFactor } from './upgrade-with-second-factor.js';

export async function completeSignIn(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; code: string; meta: RequestMeta },
): Promise<{ token: string; user: PublicUser }> {
  const { token } = await upgradeWithSecondFactor(deps, input, { from: 'pending', purpose: 'sign_in' });
  const { status: _status, ...user } = input.session.user;
  return { token, user };
}
