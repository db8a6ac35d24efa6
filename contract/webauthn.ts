// Passkeys (WebAuthn Level 3, §5.1.7–§5.1.8 and §5.4–§5.5 in their JSON forms) as the HTTP API
// carries them: the options the server hands the browser, and what the browser answers.
// Binary values travel as base64url. Request schemas bound every size; reply schemas are
// whitelists like every other.
import { z } from 'zod';

const base64url = (maxLength: number) => z.string().max(maxLength).regex(/^[A-Za-z0-9_-]*$/, 'Not base64url.');
// WebAuthn §4: a credential id is at most 1023 bytes.
const credentialId = base64url(1364).min(1);
const transport = z.string().max(32);
const userVerification = z.enum(['required', 'preferred', 'discouraged']);
const hint = z.enum(['hybrid', 'security-key', 'client-device']);

const credentialDescriptorSchema = z.object({
  id: credentialId,
  type: z.string(),
  transports: z.array(transport).optional(),
});

/** navigator.credentials.create() options (PublicKeyCredentialCreationOptionsJSON). */
export const passkeyCreationOptionsSchema = z.object({
  rp: z.object({ id: z.string().optional(), name: z.string() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  challenge: z.string(),
  pubKeyCredParams: z.array(z.object({ alg: z.number().int(), type: z.literal('public-key') })),
  timeout: z.number().int().optional(),
  excludeCredentials: z.array(credentialDescriptorSchema).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
      requireResidentKey: z.boolean().optional(),
      residentKey: z.enum(['discouraged', 'preferred', 'required']).optional(),
      userVerification: userVerification.optional(),
    })
    .optional(),
  hints: z.array(hint).optional(),
  attestation: z.enum(['direct', 'enterprise', 'indirect', 'none']).optional(),
  extensions: z.object({ credProps: z.boolean().optional() }).optional(),
});

/** navigator.credentials.get() options (PublicKeyCredentialRequestOptionsJSON). */
export const passkeyRequestOptionsSchema = z.object({
  challenge: z.string(),
  timeout: z.number().int().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(credentialDescriptorSchema).optional(),
  userVerification: userVerification.optional(),
  hints: z.array(hint).optional(),
});

const clientExtensionResultsSchema = z.object({
  appid: z.boolean().optional(),
  credProps: z.object({ rk: z.boolean().optional() }).optional(),
  hmacCreateSecret: z.boolean().optional(),
});

/** What navigator.credentials.create() gave, as JSON (RegistrationResponseJSON). */
export const passkeyRegistrationResponseSchema = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(8192).min(1),
    attestationObject: base64url(49_152).min(1),
    authenticatorData: base64url(16_384).optional(),
    transports: z.array(transport).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(16_384).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: clientExtensionResultsSchema,
});

/** What navigator.credentials.get() gave, as JSON (AuthenticationResponseJSON). */
export const passkeyAssertionSchema = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(8192).min(1),
    authenticatorData: base64url(16_384).min(1),
    signature: base64url(16_384).min(1),
    userHandle: base64url(1024).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: clientExtensionResultsSchema,
});
export type PasskeyAssertionJSON = z.infer<typeof passkeyAssertionSchema>;

/** `POST …/login/challenge` and `…/reauthenticate/challenge` for a passkey. */
export const passkeyChallengeReplySchema = z.object({ webauthn: passkeyRequestOptionsSchema });

export const passkeyRegistrationBodySchema = z.object({
  response: passkeyRegistrationResponseSchema,
  label: z.string().trim().min(1).max(60).optional(),
});
export const passkeyRegistrationReplySchema = z.object({ factorId: z.string(), status: z.enum(['confirmed', 'signed_in']) });
