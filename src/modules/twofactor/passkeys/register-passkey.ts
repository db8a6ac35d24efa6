import type { RegistrationResponseJSON, WebAuthnCredential } from '@simplewebauthn/server';
import { AppError } from '../../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../../audit/record-audit-event.js';
import { requireFactorManagement } from '../../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { PASSKEY_FACTOR_LABEL, type RelyingParty, knownTransports } from './relying-party.js';
import { challengeOf, takeWebAuthnChallenge } from './webauthn-challenges.js';
import { verifyRegistrationResponse } from './webauthn.js';
import { finishFactorBinding } from '../finish-factor-binding.js';

export type PasskeyRegistration = { factorId: string; status: 'confirmed' } | { factorId: string; status: 'signed_in'; token: string };

/**
 * The browser's answer to startPasskeyRegistration: checked against the challenge this
 * session was given (used up either way), this server's origin and RP ID, then kept as a
 * confirmed factor. A session that was enrolling its first factor is signed in by it, under
 * a new token, as with an authenticator app.
 */
export async function registerPasskey(
  deps: Deps,
  input: { session: CurrentSession; response: RegistrationResponseJSON; label: string | null; relyingParty: RelyingParty; meta: RequestMeta },
): Promise<PasskeyRegistration> {
  requireFactorManagement(deps, input.session);
  const now = deps.clock.now();
  const userId = input.session.user.id;
  const challenge = challengeOf(input.response.response.clientDataJSON);
  const challengeTaken =
    challenge !== null && (await takeWebAuthnChallenge(deps.db, { sessionId: input.session.id, purpose: 'registration', challenge, now }));
  const credential = challengeTaken && challenge !== null ? await verifyAttestation(input.response, challenge, input.relyingParty) : null;
  if (credential === null) {
    await recordAuditEvent(deps.db, {
      type: 'factor.passkey_refused',
      at: now,
      actorId: userId,
      targetId: userId,
      outcome: 'failure',
      meta: input.meta,
      details: { reason: challengeTaken ? 'not_verified' : 'no_matching_challenge' },
    });
    throw new AppError('validation_failed', { message: 'The passkey could not be added. Try again.' });
  }

  const label = input.label ?? PASSKEY_FACTOR_LABEL;
  const result = await deps.db.transaction().execute(async (trx) => {
    const factor = await trx
      .insertInto('factors')
      .values({
        user_id: userId,
        type: 'webauthn',
        label,
        credential_id: credential.id,
        public_key: Buffer.from(credential.publicKey).toString('base64url'),
        sign_count: credential.counter,
        transports: JSON.stringify(knownTransports(credential.transports)),
        confirmed_at: now,
        created_at: now,
      })
      .onConflict((conflict) => conflict.constraint('factors_credential_id_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (factor === undefined) throw new AppError('conflict', { message: 'This passkey is already registered.' });
    const bound = await finishFactorBinding(trx, deps, { session: input.session, factorId: factor.id, factorLabel: label, auditType: 'factor.passkey_added', meta: input.meta, now });
    return { factorId: factor.id, ...bound };
  });
  deps.notifier.wake();
  return result;
}

async function verifyAttestation(response: RegistrationResponseJSON, challenge: string, relyingParty: RelyingParty): Promise<WebAuthnCredential | null> {
  try {
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: relyingParty.origin,
      expectedRPID: relyingParty.id,
      requireUserVerification: false,
    });
    return verification.verified ? verification.registrationInfo.credential : null;
  } catch {
    // Malformed or forged: a refusal like any other. The library's message quotes the
    // challenge and client data, so it is not logged.
    return null;
  }
}
