// The one-time code that confirms a new email address (SPEC §4, SECURITY.md §8.2): 6 digits
// from the CSPRNG, valid for 30 minutes and 5 attempts, single use. Only its keyed hash is
// stored, bound to the user and the address it confirms, so a database dump confirms nothing
// and a code for one address never confirms another.
import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { type ServerKeys, hmacHex } from '../../shared/secrets.js';

export const EMAIL_CODE_DIGITS = 6;
export const EMAIL_CODE_LIFETIME_IN_SECONDS = 30 * 60;
// NIST SP 800-63B-4 §3.2.2: limit failed attempts; 5 tries at a 6-digit code is 1 in 200 000.
export const EMAIL_CODE_MAX_ATTEMPTS = 5;

export function generateEmailCode(): string {
  return String(randomInt(0, 10 ** EMAIL_CODE_DIGITS)).padStart(EMAIL_CODE_DIGITS, '0');
}

/** What people type: spaces and dashes ignored. */
export function normalizeEmailCode(input: string): string {
  return input.replace(/[\s-]/g, '');
}

export function emailCodeHash(keys: ServerKeys, input: { userId: string; email: string; code: string }): string {
  return hmacHex(keys.get('email-confirmation'), `${input.userId}\n${input.email.toLowerCase()}\n${input.code}`);
}

/** The pending address over `users u`, while its code can still be used; else null. */
export function pendingEmailOf(now: Date) {
  return sql<string | null>`CASE WHEN u.pending_email_expires_at > ${now} AND u.pending_email_attempts < ${EMAIL_CODE_MAX_ATTEMPTS} THEN u.pending_email END`;
}
