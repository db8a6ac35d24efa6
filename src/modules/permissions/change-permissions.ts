// Direct grants and revocations of permissions (SPEC §1), each with its audit row.
import type { Kysely } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { findUserByUsername } from '../users/users-repository.js';

export async function assertKnownPermissions(db: Kysely<Tables>, codenames: string[]): Promise<void> {
  const known = await db.selectFrom('permissions').select('codename').execute();
  const unknown = codenames.filter((codename) => !known.some((row) => row.codename === codename));
  if (unknown.length > 0) {
    throw new AppError('validation_failed', {
      fields: { permissions: `Unknown permission: ${unknown.join(', ')}. Known: ${known.map((row) => row.codename).join(', ')}.` },
    });
  }
}

export async function findStaffByUsername(db: Kysely<Tables>, username: string) {
  const user = await findUserByUsername(db, username);
  if (user === null) throw new AppError('not_found', { message: `No user named ${username}.` });
  if (user.kind !== 'staff') throw new AppError('validation_failed', { message: 'Permissions and roles are for staff only.' });
  return user;
}

export async function changePermissions(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { change: 'grant' | 'revoke'; username: string; codenames: string[]; actorId: string | null; meta: RequestMeta },
): Promise<void> {
  await assertKnownPermissions(deps.db, input.codenames);
  const user = await findStaffByUsername(deps.db, input.username);
  await deps.db.transaction().execute(async (trx) => {
    if (input.change === 'grant') {
      await trx
        .insertInto('user_permissions')
        .values(input.codenames.map((codename) => ({ user_id: user.id, codename })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    } else {
      await trx.deleteFrom('user_permissions').where('user_id', '=', user.id).where('codename', 'in', input.codenames).execute();
    }
    await recordAuditEvent(trx, {
      type: input.change === 'grant' ? 'permissions.granted' : 'permissions.revoked',
      at: deps.clock.now(),
      actorId: input.actorId,
      targetId: user.id,
      outcome: 'success',
      meta: input.meta,
      details: { permissions: input.codenames.join(',') },
    });
  });
}
