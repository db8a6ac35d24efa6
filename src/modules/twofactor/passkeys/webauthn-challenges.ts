// The WebAuthn challenge a session waits for (WebAuthn §13.4.3): random, for one purpose,
// short-lived, and single use. Issuing one replaces the last; accepting one is a conditional
// UPDATE that clears it, whose row count decides, so a replayed response finds nothing.
// Only the challenge's SHA-256 is stored, and the challenge is never logged.
import type { Kysely } from 'kysely';
import type { Tables, WebAuthnChallengePurpose } from '../../../adapters/db/schema.js';
import { addSeconds } from '../../../shared/clock.js';
import { sha256Hex } from '../../../shared/secrets.js';
import { PASSKEY_CHALLENGE_LIFETIME_IN_SECONDS } from './relying-party.js';

export async function issueWebAuthnChallenge(
  db: Kysely<Tables>,
  input: { sessionId: string; purpose: WebAuthnChallengePurpose; challenge: string; now: Date },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      webauthn_challenge_hash: sha256Hex(input.challenge),
      webauthn_challenge_purpose: input.purpose,
      webauthn_challenge_expires_at: addSeconds(input.now, PASSKEY_CHALLENGE_LIFETIME_IN_SECONDS),
    })
    .where('id', '=', input.sessionId)
    .execute();
}

/** True when this session was waiting for exactly this challenge, for this purpose; after that it waits no more. */
export async function takeWebAuthnChallenge(
  db: Kysely<Tables>,
  input: { sessionId: string; purpose: WebAuthnChallengePurpose; challenge: string; now: Date },
): Promise<boolean> {
  const taken = await db
    .updateTable('sessions')
    .set({ webauthn_challenge_hash: null, webauthn_challenge_purpose: null, webauthn_challenge_expires_at: null })
    .where('id', '=', input.sessionId)
    .where('webauthn_challenge_hash', '=', sha256Hex(input.challenge))
    .where('webauthn_challenge_purpose', '=', input.purpose)
    .where('webauthn_challenge_expires_at', '>', input.now)
    .executeTakeFirst();
  return taken.numUpdatedRows === 1n;
}

/**
 * The challenge a client says it signed, read from its clientDataJSON (base64url of JSON);
 * null when that is not what was sent. The signature check proves it later.
 */
export function challengeOf(clientDataJSON: string): string | null {
  try {
    const clientData: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (typeof clientData !== 'object' || clientData === null || !('challenge' in clientData)) return null;
    const { challenge } = clientData;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,256}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}
