import QRCode from 'qrcode';
import { encrypt } from '../../../shared/secrets.js';
import { type RequestMeta, recordAuditEvent } from '../../audit/record-audit-event.js';
import { requireFactorManagement } from '../../auth/require-recent-second-factor.js';
import type { CurrentSession } from '../../auth/sessions.js';
import type { Deps } from '../../deps.js';
import { generateTotpSecret, totpUri } from './totp.js';

export const TOTP_FACTOR_LABEL = 'Authenticator app';

/** Starts enrolment: the factor exists unconfirmed until a code from the app proves it. */
export async function enrollTotp(
  deps: Deps,
  input: { session: CurrentSession; meta: RequestMeta },
): Promise<{ factorId: string; secret: string; otpauthUri: string; qrSvg: string }> {
  requireFactorManagement(deps, input.session);
  const now = deps.clock.now();
  const userId = input.session.user.id;
  const secret = generateTotpSecret();
  const otpauthUri = totpUri(secret, input.session.user.username);
  const factorId = await deps.db.transaction().execute(async (trx) => {
    // An abandoned enrolment leaves nothing behind once a new one starts.
    await trx.deleteFrom('factors').where('user_id', '=', userId).where('confirmed_at', 'is', null).execute();
    const factor = await trx
      .insertInto('factors')
      .values({
        user_id: userId,
        type: 'totp',
        label: TOTP_FACTOR_LABEL,
        secret_ciphertext: encrypt(deps.keys.get('totp-seed-encryption'), secret),
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, {
      type: 'factor.totp_enrolled',
      at: now,
      actorId: userId,
      targetId: userId,
      outcome: 'success',
      meta: input.meta,
      details: { factorId: factor.id },
    });
    return factor.id;
  });
  const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { factorId, secret, otpauthUri, qrSvg };
}
