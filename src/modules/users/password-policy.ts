// The password policy of SECURITY.md §1: 12 to 128 characters counted as Unicode code
// points (NIST SP 800-63B-4 §3.1.1.2), no composition rules, no truncation, and the whole
// password checked against a list of common passwords and words of its context.
import zxcvbnCommon from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

const commonPasswords = new Set<string>(
  (zxcvbnCommon.dictionary['passwords-common'] as string[]).map((word) => word.toLowerCase()),
);
const serviceWords = ['latchkey', 'digitalbanking', 'digital banking', 'adminplatform', 'bank'];

export interface PasswordContext {
  username?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

/** null when the password is acceptable, otherwise the reason to show the user. */
export function passwordPolicyViolation(password: string, context: PasswordContext = {}): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lowered = password.normalize('NFKC').toLowerCase();
  // "Password123!" is "password" with the usual decorations; so is "qwertyuiop2024".
  const core = lowered.replace(/^[\d\W_]+|[\d\W_]+$/gu, '');
  if (commonPasswords.has(lowered) || commonPasswords.has(core) || new Set(lowered).size <= 2) {
    return 'This password is too common. Choose something harder to guess.';
  }
  const contextWords = [
    ...serviceWords,
    context.username,
    context.email,
    context.email?.split('@')[0],
    context.firstName,
    context.lastName,
  ]
    .filter((word): word is string => word !== undefined && [...word].length >= 3)
    .map((word) => word.toLowerCase());
  if (contextWords.some((word) => core === word || core === word.replace(/\s+/g, ''))) {
    return 'Do not base your password on your name, username, email or the name of this service.';
  }
  return null;
}
