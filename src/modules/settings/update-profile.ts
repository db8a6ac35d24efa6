// Profile (SPEC §4): names change at once; a new email address only once it is confirmed
// with the code sent to it (SECURITY.md §8.2), the old address told of the request. Changing
// the email needs a recent second factor (ASVS 5.0 7.5.1): it is where notices go.
import { addSeconds } from '../../shared/clock.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import { requireRecentSecondFactor } from '../auth/require-recent-second-factor.js';
import type { CurrentSession, SignedInUser } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { enqueueNotification } from '../notifications/enqueue-notification.js';
import { EMAIL_CODE_LIFETIME_IN_SECONDS, emailCodeHash, generateEmailCode } from './email-change-codes.js';

export interface ProfileChanges {
  firstName?: string | undefined;
  lastName?: string | undefined;
  email?: string | undefined;
}

export async function updateProfile(
  deps: Deps,
  input: { session: CurrentSession; changes: ProfileChanges; meta: RequestMeta },
): Promise<{ user: SignedInUser }> {
  const { session, changes } = input;
  const { status: _status, ...current } = session.user;
  const userId = current.id;
  const firstName = changes.firstName ?? current.firstName;
  const lastName = changes.lastName ?? current.lastName;
  const namesChanged = firstName !== current.firstName || lastName !== current.lastName;
  const sameAddress = (email: string) => email.toLowerCase() === current.email.toLowerCase();
  const newEmail = changes.email !== undefined && !sameAddress(changes.email) ? changes.email : null;
  // Asking for the current address again withdraws a change still waiting for its code.
  const withdrawEmailChange = changes.email !== undefined && newEmail === null && current.pendingEmail !== null;
  if (newEmail !== null) requireRecentSecondFactor(deps, session);

  const now = deps.clock.now();
  const common = { at: now, actorId: userId, targetId: userId, outcome: 'success' as const, meta: input.meta };
  await deps.db.transaction().execute(async (trx) => {
    if (namesChanged || withdrawEmailChange) {
      await trx
        .updateTable('users')
        .set({
          first_name: firstName,
          last_name: lastName,
          updated_at: now,
          ...(withdrawEmailChange ? { pending_email: null, pending_email_code_hash: null, pending_email_expires_at: null, pending_email_attempts: 0 } : {}),
        })
        .where('id', '=', userId)
        .execute();
      const fields = [firstName !== current.firstName ? 'firstName' : null, lastName !== current.lastName ? 'lastName' : null].filter((field) => field !== null);
      await recordAuditEvent(trx, { ...common, type: 'profile.updated', details: { fields: fields.join(','), emailChangeWithdrawn: withdrawEmailChange } });
    }
    if (newEmail === null) return;
    const code = generateEmailCode();
    await trx
      .updateTable('users')
      .set({
        pending_email: newEmail,
        pending_email_code_hash: emailCodeHash(deps.keys, { userId, email: newEmail, code }),
        pending_email_expires_at: addSeconds(now, EMAIL_CODE_LIFETIME_IN_SECONDS),
        pending_email_attempts: 0,
        updated_at: now,
      })
      .where('id', '=', userId)
      .execute();
    await recordAuditEvent(trx, { ...common, type: 'email_change.requested', details: { newEmail } });
    await enqueueNotification(trx, deps.keys, { userId, at: now, message: { kind: 'email_change_requested', newEmail } });
    await enqueueNotification(trx, deps.keys, { userId, at: now, message: { kind: 'email_confirmation', secret: code }, to: newEmail });
  });
  deps.notifier.wake();
  const pendingEmail = newEmail ?? (withdrawEmailChange ? null : current.pendingEmail);
  return { user: { ...current, firstName, lastName, pendingEmail } };
}
