import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AppError } from '../../../shared/app-error.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { PASSKEY_CHALLENGE_LIFETIME_IN_SECONDS, type RelyingParty, knownTransports } from './relying-party.js';
import { issueWebAuthnChallenge } from './webauthn-challenges.js';
import { generateAuthenticationOptions } from './webauthn.js';

/**
 * The options for signing with one of the user's passkeys, at sign-in or step-up (WebAuthn
 * §5.5). The caller has checked the session's state; the answer goes through
 * proveSecondFactor like a code, where the challenge is used up.
 */
export async function startPasskeyAuthentication(
  deps: Deps,
  input: { session: CurrentSession; factorId: string; relyingParty: RelyingParty },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const factor = await deps.db
    .selectFrom('factors')
    .select(['credential_id', 'transports'])
    .where('id', '=', input.factorId)
    .where('user_id', '=', input.session.user.id)
    .where('type', '=', 'webauthn')
    .where('confirmed_at', 'is not', null)
    .executeTakeFirst();
  if (factor === undefined || factor.credential_id === null) throw new AppError('not_found');
  const options = await generateAuthenticationOptions({
    rpID: input.relyingParty.id,
    // The passkey the user picked from the device list, and no other.
    allowCredentials: [{ id: factor.credential_id, transports: knownTransports(factor.transports) }],
    userVerification: 'preferred',
    timeout: PASSKEY_CHALLENGE_LIFETIME_IN_SECONDS * 1000,
  });
  await issueWebAuthnChallenge(deps.db, { sessionId: input.session.id, purpose: 'authentication', challenge: options.challenge, now: deps.clock.now() });
  return options;
}
