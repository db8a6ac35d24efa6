// The one path by which any second factor is checked, for sign-in and for step-up, in one
// transaction: spend an attempt (the throttle) → verify (at most one slow hash) → consume the
// code with a conditional UPDATE → reset the counter and let the caller finish (onSuccess),
// or record the failure. The user's notices (a backup code used; password right but second
// factor wrong) are queued in the same transaction as the audit rows, and sent after commit.
// A passkey's signed assertion takes the same path (twofactor/passkeys/passkey-assertions.ts),
// and so does an SMS code (twofactor/sms/sms-codes.ts): the latest unexpired, unused code of
// the factor, sent for this session, matched by its HMAC and consumed by a conditional UPDATE.
import type { Kysely } from 'kysely';
import type { Db } from '../../adapters/db/database.js';
import type { Tables } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { isUuid } from '../../shared/uuid.js';
import { type ServerKeys, decrypt } from '../../shared/secrets.js';
import { type AuditEvent, type AuditEventType, type RequestMeta, recordAuditEvent, withAuditEvent } from '../audit/record-audit-event.js';
import { backupCodeLookup, verifyBackupCodeHash } from '../twofactor/backup-codes/code-hashing.js';
import { normalizeBackupCode } from '../twofactor/backup-codes/code-format.js';
import { type PasskeyAssertion, type PasskeyMatch, consumePasskeyMatch, matchPasskeyAssertion } from '../twofactor/passkeys/passkey-assertions.js';
import { enqueueNotification } from '../notifications/enqueue-notification.js';
import { enqueueSecondFactorFailureNotice } from '../notifications/enqueue-second-factor-failure-notice.js';
import type { Notifier } from '../notifications/notification-transport.js';
import { BACKUP_CODES_FACTOR_ID } from '../twofactor/factors.js';
import { type SmsCodeMatch, consumeSmsCode, matchSmsCode } from '../twofactor/sms/sms-codes.js';
import { matchTotpStep } from '../twofactor/totp/totp.js';
import { type ThrottlePolicy, resetSecondFactorAttempts, spendSecondFactorAttempt } from './second-factor-throttle.js';

export interface ProveDeps {
  db: Db;
  keys: ServerKeys;
  throttle: ThrottlePolicy;
  /** Woken after a commit that queued a notice; without it the worker's next poll sends it. */
  notifier?: Notifier;
  /** Whether SMS codes are accepted (the policy switch); off unless said. */
  smsEnabled?: boolean;
}

export interface Proof {
  factorType: 'totp' | 'webauthn' | 'sms' | 'backup_codes';
  /** For a backup code: how many unused codes the set still holds. */
  remainingBackupCodes: number | null;
  backupCodeOrigin: 'staff' | 'self' | null;
}

type Match =
  | { kind: 'totp'; factorId: string; step: number }
  | { kind: 'backup_code'; codeId: string; setId: string; origin: 'staff' | 'self' }
  | PasskeyMatch
  | SmsCodeMatch;

export async function proveSecondFactor<T>(
  deps: ProveDeps,
  input: {
    userId: string;
    factorId: string;
    /** A typed code; unused when `assertion` is given. */
    code: string;
    /** A passkey's signed answer instead of a code. */
    assertion?: PasskeyAssertion;
    /** The session answering: an SMS code answers the session it was sent for only. */
    sessionId?: string;
    now: Date;
    meta: RequestMeta;
    purpose: 'sign_in' | 'reauthentication';
  },
  onSuccess: (trx: Kysely<Tables>, proof: Proof) => Promise<T>,
): Promise<T> {
  // One transaction from the spent attempt to the answer's consequences, so one commit per
  // attempt. Spending the attempt takes the user's row lock first — as every transaction
  // that replaces a set does, so the two never deadlock — and holds it to the end: attempts
  // on one account are checked one after the other, each against the count the previous one
  // committed. Nothing is answered before the commit, so a rolled-back attempt told no one
  // anything.
  const outcome = await deps.db.transaction().execute(async (trx): Promise<Outcome<T>> => {
    const attempt = await spendSecondFactorAttempt(trx, { userId: input.userId, now: input.now, policy: deps.throttle });
    if (!attempt.allowed) {
      await recordAuditEvent(trx, auditEvent('second_factor.refused_locked', input, { retryAfterSeconds: attempt.retryAfterSeconds }));
      return { kind: 'locked', retryAfterSeconds: attempt.retryAfterSeconds };
    }
    const { match, factorType } = await findMatch({ ...deps, db: trx }, input);
    const consumed = match === null ? null : await consume(trx, match, input.now);
    if (match !== null && consumed !== null) {
      const redeemed = match.kind === 'backup_code' ? auditEvent('backup_codes.redeemed', input, { setId: match.setId, origin: match.origin, remaining: consumed }) : null;
      await resetSecondFactorAttempts(redeemed === null ? trx : withAuditEvent(trx, redeemed), input.userId);
      if (match.kind === 'backup_code') {
        await enqueueNotification(trx, deps.keys, { userId: input.userId, at: input.now, to: attempt.email, message: { kind: 'backup_code_used', remaining: consumed } });
      }
      const proof: Proof = {
        factorType,
        remainingBackupCodes: match.kind === 'backup_code' ? consumed : null,
        backupCodeOrigin: match.kind === 'backup_code' ? match.origin : null,
      };
      return { kind: 'proved', value: await onSuccess(trx, proof), noticeQueued: match.kind === 'backup_code' };
    }
    const failure = [
      // A code of a time step already used: a replay (ASVS 5.0 6.5.1, OWASP authn_token_reuse).
      ...(match?.kind === 'totp' ? [auditEvent('second_factor.totp_reused', input, { factorId: match.factorId })] : []),
      auditEvent('second_factor.failed', input, { factor: factorType, consecutiveFailures: attempt.failuresSoFar }),
      ...(attempt.locksOnFailure ? [auditEvent('second_factor.locked', input, { lockedForSeconds: deps.throttle.lockoutInSeconds })] : []),
    ];
    // Only at sign-in is "password right, second factor wrong" news: a step-up comes from a
    // session that already proved both. The audit rows go with the notice's statement.
    if (input.purpose !== 'sign_in') {
      await recordAuditEvent(trx, failure);
      return { kind: 'failed', noticeQueued: false };
    }
    const noticeQueued = await enqueueSecondFactorFailureNotice(withAuditEvent(trx, failure), {
      userId: input.userId,
      email: attempt.email,
      at: input.now,
      quietPeriodInSeconds: deps.throttle.lockoutInSeconds,
    });
    return { kind: 'failed', noticeQueued };
  });
  if (outcome.kind === 'locked') throw new AppError('too_many_attempts', { retryAfterSeconds: outcome.retryAfterSeconds });
  if (outcome.noticeQueued) deps.notifier?.wake();
  if (outcome.kind === 'failed') throw new AppError('invalid_code');
  return outcome.value;
}

type Outcome<T> =
  | { kind: 'locked'; retryAfterSeconds: number }
  | { kind: 'failed'; noticeQueued: boolean }
  | { kind: 'proved'; value: T; noticeQueued: boolean };

async function findMatch(
  deps: ProveDeps,
  input: { userId: string; factorId: string; code: string; assertion?: PasskeyAssertion; sessionId?: string; now: Date },
): Promise<{ match: Match | null; factorType: Proof['factorType'] }> {
  if (input.assertion !== undefined) return { match: await matchPasskeyAssertion(deps.db, { ...input, assertion: input.assertion }), factorType: 'webauthn' };
  if (input.factorId === BACKUP_CODES_FACTOR_ID) return { match: await findBackupCodeMatch(deps, input), factorType: 'backup_codes' };
  if (!isUuid(input.factorId)) return { match: null, factorType: 'totp' };
  const factor = await deps.db
    .selectFrom('factors')
    .select(['id', 'type', 'secret_ciphertext'])
    .where('id', '=', input.factorId)
    .where('user_id', '=', input.userId)
    .where('type', 'in', ['totp', 'sms'])
    .where('confirmed_at', 'is not', null)
    .executeTakeFirst();
  if (factor?.type === 'sms') {
    if (deps.smsEnabled !== true || input.sessionId === undefined) return { match: null, factorType: 'sms' };
    const sms = await matchSmsCode(deps.db, deps.keys, { userId: input.userId, factorId: factor.id, sessionId: input.sessionId, purpose: 'authentication', code: input.code, now: input.now });
    return { match: sms.matches && sms.codeId !== null ? { kind: 'sms', factorId: factor.id, codeId: sms.codeId } : null, factorType: 'sms' };
  }
  if (factor === undefined || factor.secret_ciphertext === null) return { match: null, factorType: 'totp' };
  const secretBase32 = decrypt(deps.keys.get('totp-seed-encryption'), factor.secret_ciphertext);
  const step = matchTotpStep({ secretBase32 }, input.code, input.now);
  return { match: step === null ? null : { kind: 'totp', factorId: factor.id, step }, factorType: 'totp' };
}

async function findBackupCodeMatch(deps: ProveDeps, input: { userId: string; code: string; now: Date }): Promise<Match | null> {
  const code = normalizeBackupCode(input.code);
  if (code === null) return null;
  const candidates = await deps.db
    .selectFrom('backup_codes as c')
    .innerJoin('backup_code_sets as s', 's.id', 'c.set_id')
    .select(['c.id', 'c.hash', 'c.set_id', 's.origin'])
    .where('c.user_id', '=', input.userId)
    .where('c.lookup', '=', backupCodeLookup(deps.keys, input.userId, code))
    .where('c.used_at', 'is', null)
    .where('s.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', input.now)]))
    .execute();
  for (const candidate of candidates) {
    if (await verifyBackupCodeHash(deps.keys, candidate.hash, code)) {
      return { kind: 'backup_code', codeId: candidate.id, setId: candidate.set_id, origin: candidate.origin };
    }
  }
  return null;
}

/** Single use: one conditional UPDATE whose row count decides. Null when another request won. */
async function consume(trx: Kysely<Tables>, match: Match, now: Date): Promise<number | null> {
  if (match.kind === 'webauthn') return consumePasskeyMatch(trx, match);
  if (match.kind === 'sms') return (await consumeSmsCode(trx, { codeId: match.codeId, now })) ? 0 : null;
  if (match.kind === 'totp') {
    const updated = await trx
      .updateTable('factors')
      .set({ last_used_step: match.step })
      .where('id', '=', match.factorId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', match.step)]))
      .executeTakeFirst();
    return updated.numUpdatedRows === 1n ? 0 : null;
  }
  // One statement: FOR SHARE makes a concurrent revocation of the set wait for this
  // transaction, or this one see the set revoked — never a code spent from a set being
  // replaced. The count reads the statement's snapshot, from before the code was spent.
  const spent = await trx
    .with('active_set', (db) => db.selectFrom('backup_code_sets').select('id').where('id', '=', match.setId).where('revoked_at', 'is', null).forShare())
    .with('spent', (db) =>
      db
        .updateTable('backup_codes')
        .set({ used_at: now })
        .where('id', '=', match.codeId)
        .where('used_at', 'is', null)
        .where('set_id', 'in', (eb) => eb.selectFrom('active_set').select('id'))
        .returning('id'),
    )
    .selectFrom('spent')
    .select((eb) =>
      eb
        .selectFrom('backup_codes')
        // FILTER, not WHERE: the set's index alone, never the partial index of unused codes.
        .select((inner) => inner.fn.countAll<string>().filterWhere('used_at', 'is', null).as('unused'))
        .where('set_id', '=', match.setId)
        .as('unused_before'),
    )
    .executeTakeFirst();
  return spent === undefined ? null : Number(spent.unused_before) - 1;
}

function auditEvent(
  type: AuditEventType,
  input: { userId: string; now: Date; meta: RequestMeta; purpose: string },
  details: Record<string, string | number | boolean | null>,
): AuditEvent {
  return {
    type,
    at: input.now,
    actorId: input.userId,
    targetId: input.userId,
    outcome: type === 'backup_codes.redeemed' ? 'success' : 'failure',
    meta: input.meta,
    details: { purpose: input.purpose, ...details },
  };
}
