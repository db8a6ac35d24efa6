// The Admin Platform's user list: every word of `q` must start one of username, first
// name, last name or email (case-insensitive); ordered by name with keyset pagination.
//
// At a million users (issue #6) one query with an OR over four columns and an ORDER BY
// either sorts every match ("ma" matches a fifth of the bank) or walks the name order
// through rows that do not match (a last-name prefix late in the alphabet). So the longest
// word drives: one branch per column it may start, each ordered and limited by the index
// that fits it (migrations/0008), and the union of those few rows is ordered once more.
// A row matches one branch or several; UNION keeps it once. Keys compare with COLLATE "C"
// (code-point order, what both engines' databases already sort by) so that one btree
// serves a prefix range and the order at once. No OFFSET, no count(*).
// The other words are checked on the index entries walked. That is cheap while matches are
// spread along the order, not when one of them is a last-name prefix: "john mar" walks the
// first names John up to the last names Mar…, tens to hundreds of milliseconds at a million.
import { type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../adapters/db/database.js';
import type { Tables } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { isUuid } from '../../shared/uuid.js';
import { type UserListItem, toUserListItem } from '../users/users-repository.js';

export interface UserSearch {
  q?: string | undefined;
  kind?: 'customer' | 'staff' | undefined;
  limit: number;
  cursor?: string | undefined;
}

type Cursor = [lastName: string, firstName: string, id: string];
type SearchedColumn = 'last_name' | 'first_name' | 'username' | 'email';

const MAX_WORDS = 5;
const SEARCHED_COLUMNS: readonly SearchedColumn[] = ['last_name', 'first_name', 'username', 'email'];

const lastKey = sql<string>`lower(last_name) COLLATE "C"`;
const firstKey = sql<string>`lower(first_name) COLLATE "C"`;
const keyOf = (column: SearchedColumn) => sql<string>`lower(${sql.ref(column)}) COLLATE "C"`;

export async function searchUsers(db: Db, search: UserSearch): Promise<{ items: UserListItem[]; nextCursor: string | null }> {
  const words = (search.q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_WORDS);
  const cursor = search.cursor === undefined ? null : decodeCursor(search.cursor);
  const size = search.limit + 1;
  // The longest word is usually the rarest: it drives, the others are checked along the way.
  const [driving, ...others] = [...words].sort((a, b) => b.length - a.length);

  // Rows in name order (after the cursor unless told otherwise), of the kind asked for,
  // matching every word of `mustMatch`.
  const ordered = (mustMatch: string[], afterCursor: boolean) => {
    let query = db.selectFrom('users').select(['id', lastKey.as('last_key'), firstKey.as('first_key')]);
    if (search.kind !== undefined) query = query.where('kind', '=', search.kind);
    if (cursor !== null && afterCursor) query = query.where(sql<SqlBool>`(${lastKey}, ${firstKey}, id) > (${cursor[0]}, ${cursor[1]}, ${cursor[2]}::uuid)`);
    for (const word of mustMatch) query = query.where((eb) => eb.or(SEARCHED_COLUMNS.map((column) => startsWith(eb, column, word))));
    return query.orderBy(lastKey).orderBy(firstKey).orderBy('id').limit(size);
  };

  const branches = (driving: string) => {
    // A cursor before every last name starting with the word says nothing more in that branch,
    // and left in, the index walk would start at the cursor rather than at the prefix.
    const cursorBeforePrefix = cursor !== null && Buffer.compare(Buffer.from(cursor[0]), Buffer.from(driving)) < 0;
    const [first, ...rest] = SEARCHED_COLUMNS.map((column, index) => {
      let branch = ordered(others, !(column === 'last_name' && cursorBeforePrefix)).where((eb) => startsWith(eb, column, driving));
      // Written twice on purpose. The planner walks the name order when it expects the page to
      // fill early, as if the matches were spread evenly along it; an email prefix such as "sm"
      // (smith.j@) matches one user in a hundred, all bunched at S, and that walk would read
      // most of the index. Counted twice, the prefix looks rarer: only a common one ("ma")
      // is walked, the others are read through users_email_search_idx and sorted.
      if (column === 'email') branch = branch.where((eb) => startsWith(eb, column, driving));
      return db.selectFrom(branch.as(`branch_${index}`)).selectAll();
    });
    return rest.reduce((union, branch) => union.union(branch), first!);
  };

  const matches = driving === undefined ? ordered([], true).as('page') : branches(driving).as('page');
  const rows = await db
    .selectFrom(matches)
    .innerJoin('users', 'users.id', 'page.id')
    .select(['users.id', 'username', 'first_name', 'last_name', 'email', 'kind', 'is_admin', 'status', 'page.last_key', 'page.first_key'])
    .orderBy('page.last_key')
    .orderBy('page.first_key')
    .orderBy('page.id')
    .limit(size)
    .execute();
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return {
    items: page.map(toUserListItem),
    nextCursor: rows.length > search.limit && last !== undefined ? encodeCursor([last.last_key, last.first_key, last.id]) : null,
  };
}

function startsWith(eb: ExpressionBuilder<Tables, 'users'>, column: SearchedColumn, word: string) {
  // The word's own wildcards are taken literally.
  return eb(keyOf(column), 'like', `${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
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
      isUuid(parsed[2] as string)
    ) {
      return parsed as Cursor;
    }
  } catch {
    // fall through to the refusal below
  }
  throw new AppError('validation_failed', { fields: { cursor: 'This cursor is not valid.' } });
}
