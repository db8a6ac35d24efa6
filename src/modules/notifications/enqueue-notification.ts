// Queues a message in the outbox inside the caller's transaction (STYLE rule 4): it exists
// if and only if the change it tells of was committed, and the worker sends it afterwards
// (deliver-notifications.ts). The one secret a message may carry — a confirmation or SMS
// code — is sealed with a key derived from the server secret and never put in `payload`
// (SECURITY §11); the worker opens it only to send, then clears it.
import type { Kysely } from 'kysely';
import type { NotificationChannel, Tables } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { type ServerKeys, encrypt } from '../../shared/secrets.js';

export type NotificationMessage =
  | { kind: 'backup_codes_issued_by_staff'; expiresAt: string }
  | { kind: 'backup_code_used'; remaining: number }
  | { kind: 'password_changed' }
  | { kind: 'recovery_codes_created'; count: number }
  | { kind: 'factor_added'; factorLabel: string }
  | { kind: 'factor_removed'; factorLabel: string }
  | { kind: 'email_change_requested'; newEmail: string } // to the OLD address
  | { kind: 'email_confirmation'; secret: string } // to the NEW address: the confirmation code
  | { kind: 'second_factor_failed' } // password right, second factor wrong
  | { kind: 'sms_code'; secret: string }; // an SMS one-time code

export type NotificationKind = NotificationMessage['kind'];

export async function enqueueNotification(
  db: Kysely<Tables>, // the caller's transaction
  keys: ServerKeys,
  input: { userId: string; at: Date; message: NotificationMessage; channel?: 'email' | 'sms'; to?: string },
): Promise<void> {
  const channel: NotificationChannel = input.channel ?? 'email';
  const recipient = input.to ?? (await defaultRecipient(db, input.userId, channel));
  // Split the secret off: what remains is safe to keep in clear for the outbox's lifetime.
  const { kind, ...rest } = input.message;
  let payload: Record<string, unknown> = rest;
  let secretCiphertext: string | null = null;
  if ('secret' in rest) {
    const { secret, ...withoutSecret } = rest;
    payload = withoutSecret;
    secretCiphertext = encrypt(keys.get('notification-secret'), secret);
  }
  await db
    .insertInto('notifications')
    .values({
      user_id: input.userId,
      channel,
      recipient,
      kind,
      payload: JSON.stringify(payload),
      secret_ciphertext: secretCiphertext,
      created_at: input.at,
      next_attempt_at: input.at,
    })
    .execute();
}

/** The user's current email, or phone for SMS, read in the caller's transaction. */
async function defaultRecipient(db: Kysely<Tables>, userId: string, channel: NotificationChannel): Promise<string> {
  const user = await db.selectFrom('users').select(['email', 'phone']).where('id', '=', userId).executeTakeFirst();
  if (user === undefined) throw new AppError('not_found');
  const recipient = channel === 'email' ? user.email : user.phone;
  // A programming error, not a user's: whoever asks for an SMS must know the user has a phone.
  if (recipient === null || recipient === '') throw new Error(`user has no ${channel} recipient`);
  return recipient;
}
