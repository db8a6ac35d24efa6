// Settings (SPEC §4, §7): the one profile schema that validates in the browser and on the
// server, with the exact messages of the SPEC, and the shapes of the settings endpoints.
import { z } from 'zod';
import { userSchema } from './api.js';

export const PROFILE_MESSAGES = {
  firstName: 'First name must have at least 2 characters. Numbers and special characters are not allowed.',
  lastName: 'Last name must have at least 1 character. Numbers and special characters are not allowed.',
  email: 'Enter a valid email',
  updated: 'Your profile has been successfully updated.',
} as const;

export const PASSWORD_CHANGE_NOTICE = 'Changing your password will log you out immediately.';
export const INVALID_PASSWORD_MESSAGE = 'Enter a valid password';

const NAME_MAX_LENGTH = 150;

// Letters of any script (with their combining marks: Devanagari vowel signs, a decomposed
// é), and single spaces, hyphens and apostrophes between letters — Anne-Marie, O'Neil,
// O’Neil, José, 李雷. Digits, other symbols, and separators at either end or doubled are not.
const NAME_PATTERN = /^\p{L}\p{M}*(?:[ '’-]?\p{L}\p{M}*)*$/u;

/** Letters as a person counts them: a letter with its combining marks counts once. */
function letterCount(value: string): number {
  return [...value.replace(/[\p{M} '’-]/gu, '')].length;
}

function name(minLetters: number, message: string) {
  return z
    .string(message)
    .trim()
    .normalize('NFC')
    .refine((value) => [...value].length <= NAME_MAX_LENGTH && NAME_PATTERN.test(value) && letterCount(value) >= minLetters, message);
}

/** The profile form: every field, as the browser holds it. The server accepts any subset. */
export const profileSchema = z.object({
  firstName: name(2, PROFILE_MESSAGES.firstName),
  lastName: name(1, PROFILE_MESSAGES.lastName),
  email: z.string(PROFILE_MESSAGES.email).trim().pipe(z.email(PROFILE_MESSAGES.email).max(254, PROFILE_MESSAGES.email)),
});
export type ProfileInput = z.input<typeof profileSchema>;

/** PATCH /me/profile: any of the fields; a field not named here (role, id …) is refused. */
export const profileBodySchema = profileSchema.partial().strict();

export const profileReplySchema = z.object({ user: userSchema, message: z.literal(PROFILE_MESSAGES.updated) });

export const emailConfirmBodySchema = z.object({ code: z.string().trim().min(1, 'Enter the code.').max(64) });
export const emailConfirmReplySchema = z.object({ email: z.string(), message: z.string() });

export const passwordChangeBodySchema = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  newPassword: z.string().min(1, INVALID_PASSWORD_MESSAGE).max(1024, INVALID_PASSWORD_MESSAGE),
});

export const activeSessionSchema = z.object({
  id: z.uuid(),
  /** A few words from the user agent: "Chrome on Windows". */
  device: z.string(),
  ip: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  current: z.boolean(),
});
export type ActiveSession = z.infer<typeof activeSessionSchema>;

export const activeSessionsReplySchema = z.object({ sessions: z.array(activeSessionSchema) });
export const sessionIdParamsSchema = z.object({ id: z.uuid() });
export const endedSessionsReplySchema = z.object({ ended: z.number().int() });
