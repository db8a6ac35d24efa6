// The password policy of SECURITY.md §1: 12 to 128 characters counted as Unicode code
// points (NIST SP 800-63B-4 §3.1.1.2), no composition rules, no truncation, and the whole
// password checked against a list of common passwords and words of its context.
import { createRequire } from 'node:module';
import type zxcvbnCommon from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

// The list is unpacked at the first password checked, not at start (~50 ms): a restart of
// the server checks none until someone sets one.
const require = createRequire(import.meta.url);
let commonPasswords: Set<string> | null = null;

function commonPasswordList(): Set<string> {
  if (commonPasswords === null) {
    const { dictionary } = require('@zxcvbn-ts/language-common') as typeof zxcvbnCommon;
    commonPasswords = new Set((dictionary['passwords-common'] as string[]).map((word) => word.toLowerCase()));
  }
  return commonPasswords;
}

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
  const common = commonPasswordList();
  if (common.has(lowered) || common.has(core) || new Set(lowered).size <= 2) {
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
