// Step-up (SPEC §2, §7): a signed-in user proves a second factor again before a sensitive
// action; the session's token is rotated, as at every authentication.
import type { RequestMeta } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import type { CurrentSession } from './sessions.js';
import type { SecondFactorAnswer } from './second-factor-answer.js';
import { upgradeWithSecondFactor } from './upgrade-with-second-factor.js';

export function reauthenticate(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; meta: RequestMeta } & SecondFactorAnswer,
): Promise<{ token: string }> {
  return upgradeWithSecondFactor(deps, input, { from: 'active', purpose: 'reauthentication' });
}
