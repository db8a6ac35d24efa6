// The Admin Platform's user list: every word of `q` must start one of username, first
// name, last name or email (case-insensitive); ordered by name with keyset pagination.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/database.js';
import { AppError } from '../../shared/app-error.js';
import { type UserListItem, toUserListItem } from '../users/users-repository.js';

export interface UserSearch {
  q?: string | undefined;
  kind?: 'customer' | 'staff' | undefined;
  limit: number;
  cursor?: string | undefined;
}

type Cursor = [lastName: string, firstName: string, id: string];

export async function searchUsers(db: Db, search: UserSearch): Promise<{ items: UserListItem[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('users')
    .select(['id', 'username', 'first_name', 'last_name', 'email', 'kind', 'is_admin', 'status'])
    .select([sql<string>`lower(last_name)`.as('last_key'), sql<string>`lower(first_name)`.as('first_key')])
    .orderBy(sql`lower(last_name)`)
    .orderBy(sql`lower(first_name)`)
    .orderBy('id')
    .limit(search.limit + 1);
  if (search.kind !== undefined) query = query.where('kind', '=', search.kind);
  for (const word of (search.q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 5)) {
    const prefix = `${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(username)`, 'like', prefix),
        eb(sql`lower(first_name)`, 'like', prefix),
        eb(sql`lower(last_name)`, 'like', prefix),
        eb(sql`lower(email)`, 'like', prefix),
      ]),
    );
  }
  if (search.cursor !== undefined) {
    const [lastName, firstName, id] = decodeCursor(search.cursor);
    query = query.where(sql<boolean>`(lower(last_name), lower(first_name), id) > (${lastName}, ${firstName}, ${id}::uuid)`);
  }
  const rows = await query.execute();
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return {
    items: page.map(toUserListItem),
    nextCursor: rows.length > search.limit && last !== undefined ? encodeCursor([last.last_key, last.first_key, last.id]) : null,
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      parsed.every((part) => typeof part === 'string') &&
      /^[0-9a-f-]{36}$/i.test(parsed[2] as string)
    ) {
      return parsed as Cursor;
    }
  } catch {
    // fall through to the refusal below
  }
  throw new AppError('validation_failed', { fields: { cursor: 'This cursor is not valid.' } });
}
