// The optional first half of proving a factor (SPEC §7 `…/challenge`): a passkey needs a
// fresh challenge to sign; an SMS factor is texted a fresh code; an authenticator app and
// backup codes need nothing. The factor
// must be one the user may pick from their device list.
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AppError } from '../../shared/app-error.js';
import type { RequestMeta } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { listSignInFactors } from '../twofactor/factors.js';
import type { RelyingParty } from '../twofactor/passkeys/relying-party.js';
import { startPasskeyAuthentication } from '../twofactor/passkeys/start-passkey-authentication.js';
import { sendSmsCode } from '../twofactor/sms/send-sms-code.js';
import type { CurrentSession } from './sessions.js';

export async function beginSecondFactor(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; relyingParty: RelyingParty; meta: RequestMeta },
): Promise<{ webauthn: PublicKeyCredentialRequestOptionsJSON } | null> {
  const factors = await listSignInFactors(deps.db, input.session.user.id, deps.clock.now(), { smsEnabled: deps.policy.sms.enabled });
  const factor = factors.find((candidate) => candidate.id === input.factorId);
  if (factor === undefined) throw new AppError('not_found');
  if (factor.type === 'sms') {
    await sendSmsCode(deps, { session: input.session, factorId: factor.id, meta: input.meta });
    return null;
  }
  if (factor.type !== 'webauthn') return null;
  return { webauthn: await startPasskeyAuthentication(deps, { session: input.session, factorId: factor.id, relyingParty: input.relyingParty }) };
}
