// What a person answers the second-factor question with: a code they type (authenticator
// app, backup code), or a passkey's signed assertion, checked against this server's origin.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { PasskeyAssertion } from '../twofactor/passkeys/passkey-assertions.js';
import type { RelyingParty } from '../twofactor/passkeys/relying-party.js';

export type SecondFactorAnswer = { code: string } | { credential: AuthenticationResponseJSON; relyingParty: RelyingParty };

/** The answer as proveSecondFactor takes it; an assertion answers the challenge of this session only. */
export function proofInputOf(answer: SecondFactorAnswer, sessionId: string): { code: string; assertion?: PasskeyAssertion; sessionId: string } {
  if ('credential' in answer) return { code: '', assertion: { sessionId, credential: answer.credential, relyingParty: answer.relyingParty }, sessionId };
  // An SMS code was sent for one session and answers that one only (ASVS 5.0 6.6.2).
  return { code: answer.code, sessionId };
}
