import { z } from 'zod';
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { passwordPolicyViolation } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { findUserByUsername } from './users-repository.js';

export const newUserSchema = z.object({
  kind: z.enum(['customer', 'staff']),
  username: z.string().trim().min(1).max(150).regex(/^[\p{L}\p{N}._@+-]+$/u, 'Use letters, digits and . _ @ + - only.'),
  email: z.email('Enter a valid email').max(254),
  firstName: z.string().trim().min(1).max(150),
  lastName: z.string().trim().min(1).max(150),
  phone: z.string().trim().max(32).nullable().default(null),
  isAdmin: z.boolean().default(false),
  password: z.string(),
  permissions: z.array(z.string()).default([]),
});
export type NewUserInput = z.input<typeof newUserSchema>;

export async function createUser(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: NewUserInput,
  meta: RequestMeta,
  actorId: string | null = null,
): Promise<{ id: string }> {
  const parsed = newUserSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError('validation_failed', {
      fields: Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join('.'), issue.message])),
    });
  }
  const user = parsed.data;
  if (user.isAdmin && user.kind !== 'staff') {
    throw new AppError('validation_failed', { fields: { isAdmin: 'Only staff can be Admin-level.' } });
  }
  const weakness = passwordPolicyViolation(user.password, user);
  if (weakness !== null) throw new AppError('validation_failed', { fields: { password: `Enter a valid password. ${weakness}` } });
  if ((await findUserByUsername(deps.db, user.username)) !== null) {
    throw new AppError('conflict', { fields: { username: 'This username is taken.' } });
  }
  const passwordHash = await hashPassword(user.password);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const created = await trx
      .insertInto('users')
      .values({
        kind: user.kind,
        is_admin: user.isAdmin,
        username: user.username,
        email: user.email,
        first_name: user.firstName,
        last_name: user.lastName,
        phone: user.phone,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, {
      type: 'user.created',
      at: now,
      actorId,
      targetId: created.id,
      outcome: 'success',
      meta,
      details: { kind: user.kind, isAdmin: user.isAdmin },
    });
    return created;
  });
}
