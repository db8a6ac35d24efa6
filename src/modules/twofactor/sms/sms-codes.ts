// SMS one-time codes (SECURITY §5): six random digits, valid for at most 10 minutes, once, and
// only while the latest of their factor; kept as an HMAC (key derived from the server secret,
// bound to the factor), never in clear. Sending is limited per hour, per account
// and per destination number (SECURITY §3.3). Requesting a code never touches the second-factor failure count, which
// lives on the user row and is reset only by a success (SECURITY §3.2).
import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../../../adapters/db/schema.js';
import { AppError } from '../../../shared/app-error.js';
import { type ServerKeys, constantTimeEqual, hmacHex } from '../../../shared/secrets.js';
import { enqueueNotification } from '../../notifications/enqueue-notification.js';

export const SMS_CODE_DIGITS = 6;
export const SMS_CODE_LIFETIME_IN_SECONDS = 10 * 60;
const SEND_WINDOW_IN_SECONDS = 60 * 60;
/** Wrong guesses at one enrolment code before it stops working (sign-in guesses count on the user). */
export const SMS_ENROLLMENT_CODE_MAX_ATTEMPTS = 5;

export function generateSmsCode(): string {
  return String(randomInt(0, 10 ** SMS_CODE_DIGITS)).padStart(SMS_CODE_DIGITS, '0');
}

export function smsCodeHash(keys: ServerKeys, factorId: string, code: string): string {
  return hmacHex(keys.get('sms-code'), `${factorId}:${code}`);
}

function recipientHash(keys: ServerKeys, phone: string): string {
  return hmacHex(keys.get('sms-code'), `recipient:${phone}`);
}

/** What a typed answer looks like once spaces are dropped; null when it cannot be a code. */
export function normalizeSmsCode(input: string): string | null {
  const code = input.replace(/\s/g, '');
  return new RegExp(`^\\d{${SMS_CODE_DIGITS}}$`).test(code) ? code : null;
}

/**
 * The hourly send limits, per account and per destination number, checked with the user row
 * locked so that one account's concurrent requests are counted one after another. Throws 429
 * with the seconds until a text may go.
 */
export async function checkSmsSendLimit(
  trx: Kysely<Tables>,
  keys: ServerKeys,
  input: { userId: string; phone: string; now: Date; maxPerHour: number },
): Promise<void> {
  await trx.selectFrom('users').select('id').where('id', '=', input.userId).forUpdate().executeTakeFirst();
  const since = new Date(input.now.getTime() - SEND_WINDOW_IN_SECONDS * 1000);
  const recentSends = (column: 'user_id' | 'recipient_hash', value: string) =>
    trx
      .selectFrom('sms_codes')
      .select('created_at')
      .where(column, '=', value)
      .where('created_at', '>', since)
      .orderBy('created_at', 'desc')
      .limit(input.maxPerHour)
      .execute();
  let retryAfterSeconds = 0;
  for (const sent of [await recentSends('user_id', input.userId), await recentSends('recipient_hash', recipientHash(keys, input.phone))]) {
    if (sent.length < input.maxPerHour) continue;
    const oldestCounted = new Date(sent[sent.length - 1]!.created_at);
    retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil((oldestCounted.getTime() + SEND_WINDOW_IN_SECONDS * 1000 - input.now.getTime()) / 1000), 1);
  }
  if (retryAfterSeconds === 0) return;
  throw new AppError('too_many_attempts', { message: 'Too many text messages were sent. Try again later.', retryAfterSeconds });
}

/**
 * Issues a fresh code for the factor in the caller's transaction (which has checked the send
 * limit): older codes of the factor are superseded, and the text is queued in the outbox with
 * the code sealed. Returns nothing: the code leaves only through the outbox.
 */
export async function issueSmsCode(
  trx: Kysely<Tables>,
  keys: ServerKeys,
  input: { userId: string; factorId: string; sessionId: string; phone: string; purpose: 'enrollment' | 'authentication'; now: Date },
): Promise<void> {
  const code = generateSmsCode();
  await trx
    .updateTable('sms_codes')
    .set({ superseded_at: input.now })
    .where('factor_id', '=', input.factorId)
    .where('used_at', 'is', null)
    .where('superseded_at', 'is', null)
    .execute();
  await trx
    .insertInto('sms_codes')
    .values({
      user_id: input.userId,
      factor_id: input.factorId,
      session_id: input.sessionId,
      purpose: input.purpose,
      recipient_hash: recipientHash(keys, input.phone),
      code_hash: smsCodeHash(keys, input.factorId, code),
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + SMS_CODE_LIFETIME_IN_SECONDS * 1000),
    })
    .execute();
  await enqueueNotification(trx, keys, { userId: input.userId, at: input.now, channel: 'sms', to: input.phone, message: { kind: 'sms_code', secret: code } });
}

export interface SmsCodeMatch {
  kind: 'sms';
  factorId: string;
  codeId: string;
}

/** The factor's latest code, when it is still usable by this session and equals the answer. */
export async function matchSmsCode(
  db: Kysely<Tables>,
  keys: ServerKeys,
  input: { userId: string; factorId: string; sessionId: string; purpose: 'enrollment' | 'authentication'; code: string; now: Date },
): Promise<{ codeId: string | null; matches: boolean }> {
  // Issuing a code supersedes every older unused one (under the user row's lock), so at most
  // one code of a factor is neither used nor superseded: the latest.
  const latest = await db
    .selectFrom('sms_codes')
    .select(['id', 'code_hash', 'session_id', 'purpose', 'used_at', 'superseded_at', 'expires_at', 'attempts'])
    .where('factor_id', '=', input.factorId)
    .where('user_id', '=', input.userId)
    .where('used_at', 'is', null)
    .where('superseded_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (latest === undefined) return { codeId: null, matches: false };
  const usable =
    latest.used_at === null &&
    latest.superseded_at === null &&
    new Date(latest.expires_at).getTime() > input.now.getTime() &&
    latest.session_id === input.sessionId &&
    latest.purpose === input.purpose &&
    (input.purpose !== 'enrollment' || latest.attempts < SMS_ENROLLMENT_CODE_MAX_ATTEMPTS);
  if (!usable) return { codeId: null, matches: false };
  const code = normalizeSmsCode(input.code);
  const matches = code !== null && constantTimeEqual(latest.code_hash, smsCodeHash(keys, input.factorId, code));
  return { codeId: latest.id, matches };
}

/** Single use: the conditional UPDATE's row count decides. False when another request won or a newer code came. */
export async function consumeSmsCode(trx: Kysely<Tables>, input: { codeId: string; now: Date }): Promise<boolean> {
  const used = await trx
    .updateTable('sms_codes')
    .set({ used_at: input.now })
    .where('id', '=', input.codeId)
    .where('used_at', 'is', null)
    .where('superseded_at', 'is', null)
    .where('expires_at', '>', input.now)
    .executeTakeFirst();
  return used.numUpdatedRows === 1n;
}

/** A wrong guess at an enrolment code. */
export async function countSmsCodeAttempt(db: Kysely<Tables>, codeId: string): Promise<void> {
  await db
    .updateTable('sms_codes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', codeId)
    .execute();
}
