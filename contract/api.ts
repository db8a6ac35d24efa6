// Request and reply shapes of the HTTP API (SPEC §7), shared by the server's route schemas
// (and so the OpenAPI document) and the web UI's client. Reply schemas are whitelists:
// a field not named here never leaves the server.
import { z } from 'zod';
import { errorCodes } from './errors.js';
import { passkeyAssertionSchema } from './webauthn.js';

export const surfaceSchema = z.enum(['banking', 'admin']);
export type Surface = z.infer<typeof surfaceSchema>;

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(errorCodes as [string, ...string[]]),
    message: z.string(),
    fields: z.record(z.string(), z.string()).optional(),
  }),
});

const uuid = z.uuid();

export const loginBodySchema = z.object({
  username: z.string().min(1).max(150),
  password: z.string().min(1).max(1024),
});

export const factorTypeSchema = z.enum(['totp', 'webauthn', 'sms', 'backup_codes']);
export const signInFactorSchema = z.object({ id: z.string(), type: factorTypeSchema, label: z.string() });
export type SignInFactor = z.infer<typeof signInFactorSchema>;

export const loginReplySchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('second_factor_required'), factors: z.array(signInFactorSchema) }),
  z.object({ status: z.literal('enrollment_required') }),
]);

export const challengeBodySchema = z.object({ factorId: z.string().min(1).max(100) });
/** A typed code, or a passkey's signed answer to the challenge `…/challenge` gave. */
export const verifyBodySchema = z.union([
  z.object({ factorId: z.string().min(1).max(100), code: z.string().min(1).max(64) }),
  z.object({ factorId: z.string().min(1).max(100), credential: passkeyAssertionSchema }),
]);

export const userSchema = z.object({
  id: uuid,
  username: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  kind: z.enum(['customer', 'staff']),
  isAdmin: z.boolean(),
  permissions: z.array(z.string()),
  /** A new email address waiting for its confirmation code (SPEC §4); null when none. */
  pendingEmail: z.string().nullable(),
  /**
   * After a sign-in with a staff-issued backup code (SPEC §2): the account must be secured —
   * a new factor confirmed and the user's own recovery codes created — before anything else.
   */
  mustSecureAccount: z.boolean(),
  /** What securing still needs; null when nothing is owed. */
  accountSecuring: z.object({ needsFactor: z.boolean(), needsRecoveryCodes: z.boolean() }).nullable(),
});
export type User = z.infer<typeof userSchema>;

export const signedInReplySchema = z.object({ status: z.literal('signed_in'), user: userSchema });
export const meReplySchema = z.object({ user: userSchema });

export const factorSchema = z.object({
  id: z.string(),
  type: factorTypeSchema,
  label: z.string(),
  createdAt: z.iso.datetime(),
});

export const backupCodeStatusSchema = z
  .object({
    remaining: z.number().int(),
    origin: z.enum(['staff', 'self']),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
  })
  .nullable();

export const twoFactorReplySchema = z.object({ factors: z.array(factorSchema), backupCodes: backupCodeStatusSchema });
/** The signed-in user's own view adds what the bank's policy lets them use. */
export const ownTwoFactorReplySchema = twoFactorReplySchema.extend({ smsAvailable: z.boolean() });

export const totpEnrollmentReplySchema = z.object({
  factorId: z.string(),
  secret: z.string(),
  otpauthUri: z.string(),
  qrSvg: z.string(),
});
export const codeBodySchema = z.object({ code: z.string().min(1).max(64) });
export const totpConfirmReplySchema = z.object({ status: z.enum(['confirmed', 'signed_in']) });

/** SMS enrolment: a mobile number in international form ("+44 7700 900123"); the server normalizes it. */
export const smsEnrollmentBodySchema = z.object({ phone: z.string().trim().min(1).max(40) });
export const smsEnrollmentReplySchema = z.object({ factorId: z.string() });

export const backupCodesReplySchema = z.object({
  codes: z.array(z.string()),
  expiresAt: z.iso.datetime().nullable(),
});

export const factorIdParamsSchema = z.object({ factorId: uuid });
/** Letters, digits, spaces and common punctuation; no markup, no control characters. */
export const factorRenameBodySchema = z
  .object({ label: z.string().trim().min(1, 'Give the device a name.').max(50, 'Use at most 50 characters.').regex(/^[\p{L}\p{N} .,'’()&+\-_/#]+$/u, 'Use letters, digits, spaces and simple punctuation.') })
  .strict();
export const factorRenameReplySchema = z.object({ id: z.string(), label: z.string() });
export const surfaceParamsSchema = z.object({ surface: surfaceSchema });

// Admin Platform
export const userKindSchema = z.enum(['customer', 'staff']);
export const adminUserListQuerySchema = z.object({
  q: z.string().max(200).optional(),
  kind: userKindSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(500).optional(),
});
export const adminUserItemSchema = z.object({
  id: uuid,
  username: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  kind: userKindSchema,
  isAdmin: z.boolean(),
  status: z.enum(['active', 'disabled']),
});
export const adminUserListReplySchema = z.object({ items: z.array(adminUserItemSchema), nextCursor: z.string().nullable() });
export const userIdParamsSchema = z.object({ id: uuid });
export const adminUserDetailReplySchema = z.object({
  user: adminUserItemSchema.extend({ phone: z.string().nullable(), createdAt: z.iso.datetime() }),
  twoFactor: twoFactorReplySchema,
  can: z.object({ generateBackupCodes: z.boolean(), endSessions: z.boolean() }),
});
export const generateBackupCodesBodySchema = z
  .object({ note: z.string().trim().max(500).optional() })
  .strict();

export const auditQuerySchema = z.object({
  userId: uuid.optional(),
  type: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  // An audit event id: a PostgreSQL bigint, so at most 2^63 - 1 (larger fails in the database).
  cursor: z
    .string()
    .regex(/^\d{1,19}$/)
    .refine((value) => !/^\d{1,19}$/.test(value) || BigInt(value) <= 9_223_372_036_854_775_807n, 'Not a valid cursor.')
    .optional(),
});
export const auditItemSchema = z.object({
  id: z.string(),
  type: z.string(),
  at: z.iso.datetime(),
  actorId: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.enum(['success', 'failure']),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export const auditListReplySchema = z.object({ items: z.array(auditItemSchema), nextCursor: z.string().nullable() });
