// The WebAuthn ceremonies of @simplewebauthn/server, loaded at the first passkey request rather
// than at start: with its attestation parsers (x509, ASN.1, CBOR) it was the costliest module
// of a start (~0.3 s), which a server answering passwords and codes does without.
import type * as SimpleWebAuthn from '@simplewebauthn/server';

const load = () => import('@simplewebauthn/server');

export const generateRegistrationOptions: typeof SimpleWebAuthn.generateRegistrationOptions = async (options) =>
  (await load()).generateRegistrationOptions(options);

export const verifyRegistrationResponse: typeof SimpleWebAuthn.verifyRegistrationResponse = async (options) =>
  (await load()).verifyRegistrationResponse(options);

export const generateAuthenticationOptions: typeof SimpleWebAuthn.generateAuthenticationOptions = async (options) =>
  (await load()).generateAuthenticationOptions(options);

export const verifyAuthenticationResponse: typeof SimpleWebAuthn.verifyAuthenticationResponse = async (options) =>
  (await load()).verifyAuthenticationResponse(options);
