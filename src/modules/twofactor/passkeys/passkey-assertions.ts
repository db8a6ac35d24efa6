// The passkey branch of proveSecondFactor (auth/prove-second-factor.ts): what "match" and
// "consume" mean for a signed assertion instead of a typed code. Matching uses up the
// session's challenge before anything is checked, so an assertion answers once whatever its
// outcome; consuming moves the signature counter on with a conditional UPDATE, so a counter
// that does not grow (a cloned authenticator, WebAuthn §6.1.1) or a concurrent twin fails.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import type { Tables } from '../../../adapters/db/schema.js';
import { isUuid } from '../../../shared/uuid.js';
import type { RelyingParty } from './relying-party.js';
import { challengeOf, takeWebAuthnChallenge } from './webauthn-challenges.js';
import { verifyAuthenticationResponse } from './webauthn.js';

/** A passkey's answer to the challenge this session was given. */
export interface PasskeyAssertion {
  sessionId: string;
  credential: AuthenticationResponseJSON;
  relyingParty: RelyingParty;
}

export interface PasskeyMatch {
  kind: 'webauthn';
  factorId: string;
  newCounter: number;
}

export async function matchPasskeyAssertion(
  db: Kysely<Tables>,
  input: { userId: string; factorId: string; now: Date; assertion: PasskeyAssertion },
): Promise<PasskeyMatch | null> {
  const { assertion } = input;
  if (!isUuid(input.factorId)) return null;
  const factor = await db
    .selectFrom('factors')
    .select(['id', 'credential_id', 'public_key', 'sign_count'])
    .where('id', '=', input.factorId)
    .where('user_id', '=', input.userId)
    .where('type', '=', 'webauthn')
    .where('confirmed_at', 'is not', null)
    .executeTakeFirst();
  if (factor === undefined || factor.credential_id === null || factor.public_key === null || factor.sign_count === null) return null;
  if (assertion.credential.id !== factor.credential_id) return null;
  const challenge = challengeOf(assertion.credential.response.clientDataJSON);
  if (challenge === null) return null;
  if (!(await takeWebAuthnChallenge(db, { sessionId: assertion.sessionId, purpose: 'authentication', challenge, now: input.now }))) return null;

  const storedCounter = Number(factor.sign_count);
  try {
    const verification = await verifyAuthenticationResponse({
      response: assertion.credential,
      expectedChallenge: challenge,
      expectedOrigin: assertion.relyingParty.origin,
      expectedRPID: assertion.relyingParty.id,
      credential: { id: factor.credential_id, publicKey: Uint8Array.from(Buffer.from(factor.public_key, 'base64url')), counter: storedCounter },
      // A second factor after the password: presence is required, verification welcome.
      requireUserVerification: false,
    });
    if (!verification.verified) return null;
    return { kind: 'webauthn', factorId: factor.id, newCounter: verification.authenticationInfo.newCounter };
  } catch {
    // A bad signature, origin, RP ID or counter: a failed attempt like a wrong code. The
    // library's message quotes the client data, so it is not logged.
    return null;
  }
}

/**
 * The counter only grows; an authenticator that keeps none (always 0, as synced passkeys do)
 * relies on the single-use challenge alone. Null when a concurrent request moved it past us.
 */
export async function consumePasskeyMatch(trx: Kysely<Tables>, match: PasskeyMatch): Promise<number | null> {
  const updated = await trx
    .updateTable('factors')
    .set({ sign_count: match.newCounter })
    .where('id', '=', match.factorId)
    .where('sign_count', match.newCounter === 0 ? '=' : '<', match.newCounter)
    .executeTakeFirst();
  return updated.numUpdatedRows === 1n ? 0 : null;
}
