// Roles: named groups of permissions (SPEC §1).
import { AppError } from '../../shared/app-error.js';
import { type RequestMeta, recordAuditEvent } from '../audit/record-audit-event.js';
import type { Deps } from '../deps.js';
import { assertKnownPermissions, findStaffByUsername } from './change-permissions.js';

export async function createRole(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { name: string; codenames: string[]; actorId: string | null; meta: RequestMeta },
): Promise<{ id: string }> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 150) throw new AppError('validation_failed', { fields: { name: 'Give the role a name of 1 to 150 characters.' } });
  await assertKnownPermissions(deps.db, input.codenames);
  const existing = await deps.db.selectFrom('roles').select('id').where('name', '=', name).executeTakeFirst();
  if (existing !== undefined) throw new AppError('conflict', { message: `A role named ${name} exists already.` });
  return deps.db.transaction().execute(async (trx) => {
    const role = await trx.insertInto('roles').values({ name }).returning('id').executeTakeFirstOrThrow();
    if (input.codenames.length > 0) {
      await trx.insertInto('role_permissions').values(input.codenames.map((codename) => ({ role_id: role.id, codename }))).execute();
    }
    await recordAuditEvent(trx, {
      type: 'role.created',
      at: deps.clock.now(),
      actorId: input.actorId,
      targetId: null,
      outcome: 'success',
      meta: input.meta,
      details: { role: name, permissions: input.codenames.join(',') },
    });
    return role;
  });
}

export async function assignRole(
  deps: Pick<Deps, 'db' | 'clock'>,
  input: { username: string; roleName: string; actorId: string | null; meta: RequestMeta },
): Promise<void> {
  const user = await findStaffByUsername(deps.db, input.username);
  const role = await deps.db.selectFrom('roles').select('id').where('name', '=', input.roleName).executeTakeFirst();
  if (role === undefined) throw new AppError('not_found', { message: `No role named ${input.roleName}.` });
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('user_roles').values({ user_id: user.id, role_id: role.id }).onConflict((oc) => oc.doNothing()).execute();
    await recordAuditEvent(trx, {
      type: 'role.assigned',
      at: deps.clock.now(),
      actorId: input.actorId,
      targetId: user.id,
      outcome: 'success',
      meta: input.meta,
      details: { role: input.roleName },
    });
  });
}
