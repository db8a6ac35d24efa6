// A user's own recovery codes (SPEC §4): they do not expire, and they replace what is left
// of any earlier set, staff-issued or not. With a factor confirmed since a sign-in with a
// staff-issued code, they complete securing the account (SPEC §2).
import { type RequestMeta, recordAuditEvent } from '../../audit/record-audit-event.js';
import { requireRecentSecondFactor } from '../../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { clearAccountSecuringWhenDone } from '../../settings/account-securing.js';
import { enqueueNotification } from '../../notifications/enqueue-notification.js';
import { insertSet, prepareBackupCodes, revokeActiveSet } from './backup-code-sets.js';

export async function generateOwnBackupCodes(
  deps: Deps,
  input: { session: CurrentSession; meta: RequestMeta },
): Promise<{ codes: string[]; expiresAt: null }> {
  requireRecentSecondFactor(deps, input.session);
  const userId = input.session.user.id;
  const prepared = await prepareBackupCodes(deps.keys, userId, deps.policy.backupCodes.perSet);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
    const revoked = await revokeActiveSet(trx, userId, now);
    const setId = await insertSet(trx, { userId, origin: 'self', issuedBy: userId, now, expiresAt: null, prepared });
    const common = { at: now, actorId: userId, targetId: userId, outcome: 'success' as const, meta: input.meta };
    if (revoked !== null) {
      await recordAuditEvent(trx, { ...common, type: 'backup_codes.revoked', details: { setId: revoked.setId, unusedCodes: revoked.unusedCodes, replacedBy: setId } });
    }
    await recordAuditEvent(trx, { ...common, type: 'backup_codes.generated', details: { setId, origin: 'self', count: prepared.rows.length, expiresAt: null } });
    if (await clearAccountSecuringWhenDone(trx, userId)) await recordAuditEvent(trx, { ...common, type: 'account.secured', details: {} });
    // NIST SP 800-63B-4 §4.2.1.1: issuing replacement recovery codes notifies the subscriber.
    await enqueueNotification(trx, deps.keys, { userId, at: now, message: { kind: 'recovery_codes_created', count: prepared.rows.length } });
  });
  deps.notifier.wake();
  return { codes: prepared.displayCodes, expiresAt: null };
}
