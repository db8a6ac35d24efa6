import { type Expression, type Kysely, sql } from 'kysely';
import type { Tables, UserRow } from '../../adapters/db/schema.js';

export type UserKind = 'customer' | 'staff';

/** The signed-in user as the API shows it (SPEC §7 `GET /me`). */
export interface PublicUser {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  kind: UserKind;
  isAdmin: boolean;
  permissions: string[];
}

/** Effective permissions: granted directly or through a role (SPEC §1), as one SQL expression. */
export function effectivePermissionsOf(userId: Expression<string>) {
  return sql<string[]>`ARRAY(
    SELECT codename FROM user_permissions WHERE user_id = ${userId}
    UNION
    SELECT rp.codename FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id WHERE ur.user_id = ${userId}
    ORDER BY 1)`;
}

export async function findUserByUsername(db: Kysely<Tables>, username: string): Promise<UserRow | null> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where(sql`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
  return row ?? null;
}

export async function findUserWithPermissions(
  db: Kysely<Tables>,
  userId: string,
): Promise<(UserRow & { permissions: string[] }) | null> {
  const row = await db
    .selectFrom('users')
    .selectAll('users')
    .select((eb) => effectivePermissionsOf(eb.ref('users.id')).as('permissions'))
    .where('users.id', '=', userId)
    .executeTakeFirst();
  return row ?? null;
}

/** A user as staff see them in the Admin Platform's list. */
export interface UserListItem {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  kind: UserKind;
  isAdmin: boolean;
  status: 'active' | 'disabled';
}

export function toUserListItem(row: Pick<UserRow, 'id' | 'username' | 'first_name' | 'last_name' | 'email' | 'kind' | 'is_admin' | 'status'>): UserListItem {
  const { permissions: _none, ...user } = toPublicUser(row, []);
  return { ...user, status: row.status };
}

export function toPublicUser(row: Pick<UserRow, 'id' | 'username' | 'first_name' | 'last_name' | 'email' | 'kind' | 'is_admin'>, permissions: string[]): PublicUser {
  return {
    id: row.id,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    kind: row.kind,
    isAdmin: row.is_admin,
    permissions,
  };
}

/** Customers sign in to Digital Banking only, staff to the Admin Platform only (SPEC §1). */
export function surfaceOf(kind: UserKind): 'banking' | 'admin' {
  return kind === 'staff' ? 'admin' : 'banking';
}
