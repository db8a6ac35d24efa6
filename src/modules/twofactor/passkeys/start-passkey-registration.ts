import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { requireFactorManagement } from '../../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { PASSKEY_CHALLENGE_LIFETIME_IN_SECONDS, type RelyingParty, knownTransports, userHandleOf } from './relying-party.js';
import { issueWebAuthnChallenge } from './webauthn-challenges.js';
import { generateRegistrationOptions } from './webauthn.js';

/**
 * The options the browser needs to create a passkey for this user (WebAuthn §5.4). The
 * session remembers the challenge; the user's passkeys already registered are excluded, so
 * one authenticator is not added twice.
 */
export async function startPasskeyRegistration(
  deps: Deps,
  input: { session: CurrentSession; relyingParty: RelyingParty },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  requireFactorManagement(deps, input.session);
  const { user } = input.session;
  const existing = await deps.db
    .selectFrom('factors')
    .select(['credential_id', 'transports'])
    .where('user_id', '=', user.id)
    .where('type', '=', 'webauthn')
    .execute();
  const options = await generateRegistrationOptions({
    rpName: input.relyingParty.name,
    rpID: input.relyingParty.id,
    userName: user.username,
    userID: userHandleOf(user.id),
    userDisplayName: `${user.firstName} ${user.lastName}`,
    timeout: PASSKEY_CHALLENGE_LIFETIME_IN_SECONDS * 1000,
    // A bank has no use for attestation certificates here, and asking for them costs privacy.
    attestationType: 'none',
    excludeCredentials: existing.flatMap((factor) =>
      factor.credential_id === null ? [] : [{ id: factor.credential_id, transports: knownTransports(factor.transports) }],
    ),
    // A second factor after the password: user verification is welcome, not required.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await issueWebAuthnChallenge(deps.db, { sessionId: input.session.id, purpose: 'registration', challenge: options.challenge, now: deps.clock.now() });
  return options;
}
