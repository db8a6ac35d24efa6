// The Admin Platform's user list: every word of `q` must start one of username, first name,
// last name or email (case-insensitive); ordered by name with keyset pagination.
//
// At a million users (issue #6) no one plan serves every query, and the planner, choosing
// from its histograms, cannot tell which one does. Walking the name order and checking each
// entry is fast while matches are common near the cursor ("ma": a fifth of the bank), endless
// when they are rare or bunched far along it ("james.s": users James with a last name in S…).
// Reading the users a word starts a column of through an index on that column, then sorting
// them, is fast while they are few, endless for "ma". So a search decides from what it finds:
//   1. It walks a stretch of the name order. Common matches fill the page there; a few found
//      say that walking on is cheaper than reading whole.
//   2. Otherwise it reads whole the users of one word — the one with the fewest to read, from
//      a count through the indexes, stopped early — and checks the other words on the same
//      index entries; its last-name range is walked, or, when another word has few users of
//      its own to read, taken as first name and last name paired. Any page's worth of matches
//      found on the way bounds the page: the reads skip, inside the index, every user with a
//      later last name.
// Most usernames and emails begin with their owner's first or last name (maria.garcia7,
// garcia.maria@…); a word starting one starts that name, or the name begins the word. Such
// usernames and emails are read through the names (migrations/0009); only the others, a few,
// are read as usernames and emails — "maria" reads its Marias once, not three times.
//
// The SQL of each step leaves the planner one plan, whatever the words: the words reach it as
// values it cannot see (unseen), so that it can neither use an index for a check meant for
// the entries read nor choose a plan by what it guesses of them, and LIMIT or OFFSET 0 keeps
// the checks and the order out of the reads beneath them. Keys compare with COLLATE "C"
// (code-point order, what both engines' databases already sort by) so that one btree serves a
// prefix range and the order at once (migrations/0008). No OFFSET over the results, no
// count(*) over the table.
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../adapters/db/database.js';
import type { UserRow } from '../../adapters/db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { isUuid } from '../../shared/uuid.js';
import { type UserListItem, toUserListItem } from '../users/users-repository.js';

export interface UserSearch {
  q?: string | undefined;
  kind?: 'customer' | 'staff' | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** How far a search walks and counts before it changes plan. */
export interface SearchSpans {
  /**
   * Entries of the name order walked first: a millisecond or so. It fills a page when about one
   * user in a hundred matches — about one last name's worth of users at a million, among whom
   * the users of a first-name prefix come together.
   */
  walk: number;
  /** How far a search walks on when the first walk found some matches, but too few. */
  walkOn: number;
  /**
   * A word's users to read whole are counted up to this. More are too many to read for another
   * word's sake: its last-name range is walked instead of paired with it (see readWhole).
   */
  countCap: number;
}

export const SEARCH_SPANS = { walk: 3000, walkOn: 12000, countCap: 500 } satisfies SearchSpans;

type Key = [lastKey: string, firstKey: string, id: string];
type SearchedColumn = 'last_name' | 'first_name' | 'username' | 'email';
type Fragment = RawBuilder<unknown>;
type FoundRow = Pick<UserRow, 'id' | 'username' | 'first_name' | 'last_name' | 'email' | 'kind' | 'is_admin' | 'status'> & { last_key: string; first_key: string };

interface Query {
  spans: SearchSpans;
  words: string[];
  kind: UserSearch['kind'];
  cursor: Key | null;
  /** One more than the page, to tell whether another page follows. */
  size: number;
}

/** The users a word starts a column of that a search reads whole, counted up to `countCap`. */
interface WordReads {
  word: string;
  /** Whose first name it starts. */
  firstNames: number;
  /** Whose own username or email it starts, or whose name begins it (ownReads). */
  own: number;
}

const MAX_WORDS = 5;
const SEARCHED_COLUMNS: readonly SearchedColumn[] = ['last_name', 'first_name', 'username', 'email'];
const keyOf = (column: SearchedColumn) => sql<string>`lower(${sql.ref(column)}) COLLATE "C"`;
const lastKey = keyOf('last_name');
const firstKey = keyOf('first_name');
const usernameKey = keyOf('username');
const emailKey = keyOf('email');
const nameOrder = sql`${lastKey}, ${firstKey}, id`;
// Usernames and emails not beginning with their owner's name, each in an index of its own
// (migrations/0009), which the planner uses when a query states the same condition.
const ownUsername = sql<SqlBool>`NOT starts_with(lower(username), lower(first_name))`;
const ownEmail = sql<SqlBool>`NOT starts_with(lower(email), lower(first_name)) AND NOT starts_with(lower(email), lower(last_name))`;
// The keys of an entry walked (see walk).
const walkedKeys = ['last_key', 'first_key', 'username_key', 'email_key'].map((name) => sql.ref(name));
const userColumns = sql`users.id, users.username, users.first_name, users.last_name, users.email, users.kind, users.is_admin, users.status`;

/** `spans`: tests shorten them to see every plan on a few users. */
export async function searchUsers(
  db: Db,
  search: UserSearch,
  spans: SearchSpans = SEARCH_SPANS,
): Promise<{ items: UserListItem[]; nextCursor: string | null }> {
  const query: Query = {
    spans,
    words: (search.q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_WORDS),
    kind: search.kind,
    cursor: search.cursor === undefined ? null : decodeCursor(search.cursor),
    size: search.limit + 1,
  };
  const rows = await findPage(db, query);
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return {
    items: page.map(toUserListItem),
    nextCursor: rows.length > search.limit && last !== undefined ? encodeCursor([last.last_key, last.first_key, last.id]) : null,
  };
}

async function findPage(db: Db, query: Query): Promise<FoundRow[]> {
  // Without words every entry matches: the page is as many entries as it holds.
  if (query.words.length === 0) return (await walkNameOrder(db, query, query.cursor, query.size, query.size)).rows;
  let { rows, complete } = await walkNameOrder(db, query, query.cursor, query.spans.walk, query.size);
  if (!complete && rows.length > 0) {
    // Some matches, too few: matches spread along the order, thinly or in bunches (the users
    // of a first-name prefix come together within each last name). Walking on finds the rest
    // sooner than reading whole, and stops as soon as it has them.
    const last = rows.at(-1)!;
    const more = await walkNameOrder(db, query, [last.last_key, last.first_key, last.id], query.spans.walkOn, query.size - rows.length);
    rows = [...rows, ...more.rows];
    complete = more.complete;
  }
  if (complete) return rows;
  if (query.words.length === 1) return readWhole(db, query, { word: query.words[0]!, firstNames: 0, own: 0 }, []);
  // The word with the fewest users to read drives; among those with too many to count, the one
  // whose first names are fewer: first names are most of what a common word reads.
  const [driving, ...others] = (await countReads(db, query.words, query.spans.countCap)).sort(
    (a, b) => a.firstNames + a.own - (b.firstNames + b.own) || a.firstNames - b.firstNames || b.word.length - a.word.length,
  );
  return readWhole(db, query, driving!, others);
}

/**
 * The first `wanted` matches within `span` entries of the name order after `from`; complete
 * when there are that many, or when the walk reached the end of the list.
 */
async function walkNameOrder(db: Db, { words, kind }: Query, from: Key | null, span: number, wanted: number): Promise<{ rows: FoundRow[]; complete: boolean }> {
  // The list's last entry is let through to tell that the walk got there: one step down the
  // index, rather than counting what was walked.
  const isLast = sql`id = (SELECT id FROM users WHERE ${listed(kind, null)} ORDER BY ${lastKey} DESC, ${firstKey} DESC, id DESC LIMIT 1)`;
  const { rows } = await sql<FoundRow & { matches: boolean; is_last: boolean }>`
    SELECT ${userColumns}, page.last_key, page.first_key, page.matches, page.is_last
    FROM (
      SELECT id, last_key, first_key, ${everyWord(words, walkedKeys)} AS matches, is_last
      FROM (${walk(listed(kind, from), span, isLast)}) walked
      WHERE ${everyWord(words, walkedKeys)} OR is_last
      LIMIT ${sql.lit(wanted)}
    ) page
    JOIN users ON users.id = page.id
    ORDER BY page.last_key, page.first_key, page.id`.execute(db);
  const found = rows.filter((row) => row.matches);
  return { rows: found, complete: found.length === wanted || rows.some((row) => row.is_last) };
}

async function countReads(db: Db, words: string[], cap: number): Promise<WordReads[]> {
  const counted = (reads: RawBuilder<SqlBool>[]) => {
    const each = reads.map((condition) => sql`(SELECT 1 FROM users WHERE ${condition} LIMIT ${sql.lit(cap)})`);
    return sql`(SELECT count(*) FROM (SELECT 1 FROM (${sql.join(each, sql` UNION ALL `)}) reads LIMIT ${sql.lit(cap)}) counted)::int`;
  };
  const columns = words.map((word, index) => sql`
    ${counted([inPrefixRange(firstKey, word)])} AS ${sql.ref(`first_names_${index}`)},
    ${counted(ownReads(word))} AS ${sql.ref(`own_${index}`)}`);
  const { rows } = await sql<Record<string, number>>`SELECT ${sql.join(columns)}`.execute(db);
  return words.map((word, index) => ({ word, firstNames: rows[0]![`first_names_${index}`]!, own: rows[0]![`own_${index}`]! }));
}

/**
 * The page after the cursor, complete, from the users the driving word — the one with the
 * fewest to read — starts a column of: its last-name range, and, read whole, those whose first
 * name it starts, whose own username or email it starts, or whose first or last name begins it
 * while their username or email starts with it.
 */
async function readWhole(db: Db, { spans, words, kind, cursor, size }: Query, driving: WordReads, others: WordReads[]): Promise<FoundRow[]> {
  const allMatch = everyWord(words, SEARCHED_COLUMNS.map(keyOf));
  // Walking the last-name range can be long: "mary smith" walks the Smiths' first names up to
  // Mary. The users in it that another word matches too are those whose first name that word
  // starts, found by last name and first name together (namePairs), and some of those the word
  // would read whole (ownReads): when those are few, they are read instead. Two words one of
  // which begins the other may both start the last name; then the range is walked.
  const partner = others.filter((other) => !related(other.word, driving.word)).sort((a, b) => a.own - b.own)[0];
  const pairs = partner !== undefined && partner.own < spans.countCap ? partner : null;
  const from = (word: string) => (cursor !== null && Buffer.compare(Buffer.from(cursor[0]), Buffer.from(word)) >= 0 ? cursor : null);
  // A cursor before the whole range is left out: the walk would start at the cursor, not at
  // the prefix.
  const lastNameRange = (word: string, span: number | null) => sql`
    (SELECT id, last_key, first_key FROM (${walk(sql`${inPrefixRange(lastKey, word)} AND ${listed(kind, from(word))}`, span)}) walked
     WHERE ${everyWord(words, walkedKeys)} LIMIT ${sql.lit(size)})`;
  const wholeReads = (conditions: RawBuilder<SqlBool>[]) =>
    conditions.map(
      // OFFSET 0 keeps the cursor and the order out of the read: given them, the planner could
      // walk the name order instead.
      (condition) => sql`
        (SELECT * FROM (
           SELECT id, ${lastKey} AS last_key, ${firstKey} AS first_key FROM users
           WHERE ${condition} AND ${lastKey} <= (SELECT last_key FROM reach) AND ${listed(kind, null)} AND ${allMatch}
           OFFSET 0
         ) whole
         WHERE ${after(cursor, sql.ref('whole.last_key'), sql.ref('whole.first_key'))}
         ORDER BY last_key, first_key, id LIMIT ${sql.lit(size)})`,
    );
  // Found cheaply, a page's worth bounds the rest: the pairs of names, or a little of each
  // word's last-name range. A page's worth of the range is all it adds when the word is the
  // only one: every entry of it matches.
  const found =
    pairs !== null ? [namePairs(pairs.word, driving.word, { kind, cursor, size }, allMatch)]
    : words.length === 1 ? [lastNameRange(driving.word, size)]
    : words.map((word) => lastNameRange(word, spans.walk));
  const completing = [
    ...(pairs === null && words.length > 1 ? [lastNameRange(driving.word, null)] : []),
    ...wholeReads([inPrefixRange(firstKey, driving.word), ...ownReads(driving.word)]),
    ...(pairs === null ? [] : wholeReads(ownReads(pairs.word))),
  ];
  const { rows } = await sql<FoundRow>`
    WITH found AS MATERIALIZED (${sql.join(found, sql` UNION `)}),
    -- The page's last user has a last name no later than that of the last of a page's worth
    -- found; with fewer found, than the list's last user.
    reach AS (
      SELECT coalesce(
        (SELECT last_key FROM found ORDER BY last_key, first_key, id OFFSET ${sql.lit(size - 1)} LIMIT 1),
        (SELECT ${lastKey} FROM users ORDER BY ${lastKey} DESC LIMIT 1)
      ) AS last_key
    )
    SELECT ${userColumns}, page.last_key, page.first_key
    FROM ((SELECT * FROM found) UNION ${sql.join(completing, sql` UNION `)}) page
    JOIN users ON users.id = page.id
    ORDER BY page.last_key, page.first_key, page.id
    LIMIT ${sql.lit(size)}`.execute(db);
  return rows;
}

/**
 * The users a word starts the username or email of, beyond those whose first or last name it
 * starts: the own usernames and emails it starts, and, among those beginning with their
 * owner's name, the ones whose owner's first or last name begins the word ("james.s" starts
 * james.smith3: the first name James, then the username range "james.s…").
 */
function ownReads(word: string): RawBuilder<SqlBool>[] {
  const namesBefore = [...word].map((_, length) => [...word].slice(0, length).join(''));
  return [
    sql<SqlBool>`${inPrefixRange(usernameKey, word)} AND ${ownUsername}`,
    sql<SqlBool>`${firstKey} = ANY(${unseen(namesBefore)}::text[]) AND ${inPrefixRange(usernameKey, word)}`,
    sql<SqlBool>`${inPrefixRange(emailKey, word)} AND ${ownEmail}`,
    sql<SqlBool>`${firstKey} = ANY(${unseen(namesBefore)}::text[]) AND ${inPrefixRange(emailKey, word)}`,
    sql<SqlBool>`${lastKey} = ANY(${unseen(namesBefore)}::text[]) AND ${inPrefixRange(emailKey, word)}`,
  ];
}

/**
 * The first matches whose first name starts with `first` and last name with `last`: each last
 * name of the range in turn, found by a step down the index, then its first names as a range.
 */
function namePairs(first: string, last: string, { kind, cursor, size }: Pick<Query, 'kind' | 'cursor' | 'size'>, allMatch: RawBuilder<SqlBool>): Fragment {
  const start = cursor !== null && Buffer.compare(Buffer.from(cursor[0]), Buffer.from(last)) >= 0 ? sql`${lastKey} >= ${unseen(cursor[0])}` : sql`true`;
  return sql`
    (WITH RECURSIVE last_names (name) AS (
       (SELECT ${lastKey} FROM users WHERE ${inPrefixRange(lastKey, last)} AND ${start} ORDER BY 1 LIMIT 1)
       UNION ALL
       SELECT (SELECT ${lastKey} FROM users WHERE ${lastKey} > last_names.name AND ${inPrefixRange(lastKey, last)} ORDER BY 1 LIMIT 1)
       FROM last_names WHERE last_names.name IS NOT NULL
     )
     SELECT pair.* FROM last_names CROSS JOIN LATERAL (
       SELECT id, ${lastKey} AS last_key, ${firstKey} AS first_key FROM users
       WHERE ${lastKey} = last_names.name AND ${inPrefixRange(firstKey, first)} AND ${listed(kind, cursor)} AND ${allMatch}
       ORDER BY ${firstKey}, id LIMIT ${sql.lit(size)}
     ) pair
     LIMIT ${sql.lit(size)})`;
}

/**
 * Entries of the name order meeting `condition`, in order, with their keys: up to `span` of
 * them, or all (null). LIMIT or OFFSET 0 keeps the word checks made on them out of the walk:
 * weighing them there, the planner could read the range through another index and sort it.
 */
function walk(condition: Fragment, span: number | null, extra: Fragment = sql`false`): Fragment {
  return sql`
    SELECT id, ${lastKey} AS last_key, ${firstKey} AS first_key,
           ${usernameKey} AS username_key, ${emailKey} AS email_key, ${extra} AS is_last
    FROM users WHERE ${condition}
    ORDER BY ${nameOrder} ${span === null ? sql`OFFSET 0` : sql`LIMIT ${sql.lit(span)}`}`;
}

/** Every word starts one of the keys. */
function everyWord(words: string[], keys: Fragment[]): RawBuilder<SqlBool> {
  return allOf(words.map((word) => anyOf(keys.map((key) => startsWith(key, word)))));
}

/** Users of the kind asked for, after the cursor when there is one. */
function listed(kind: UserSearch['kind'], cursor: Key | null): RawBuilder<SqlBool> {
  const conditions: RawBuilder<SqlBool>[] = [];
  // Written out: for staff, the planner then uses the index of staff alone (migrations/0008).
  if (kind !== undefined) conditions.push(sql<SqlBool>`kind = ${sql.lit(kind)}`);
  if (cursor !== null) conditions.push(after(cursor, lastKey, firstKey));
  return allOf(conditions);
}

function after(cursor: Key | null, last: Fragment, first: Fragment): RawBuilder<SqlBool> {
  return cursor === null ? sql<SqlBool>`true` : sql<SqlBool>`(${last}, ${first}, id) > (${unseen(cursor[0])}, ${unseen(cursor[1])}, ${unseen(cursor[2], 'uuid')})`;
}

/** One word begins the other: both may start the same column. */
function related(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** The key starts with the word, as a range of the index on that key. */
function inPrefixRange(key: Fragment, word: string): RawBuilder<SqlBool> {
  const end = prefixEnd(word);
  return end === null
    ? sql<SqlBool>`${key} >= ${unseen(word)} AND ${startsWith(key, word)}`
    : sql<SqlBool>`${key} >= ${unseen(word)} AND ${key} < ${unseen(end)}`;
}

/**
 * A value the planner does not look at (a subquery, evaluated once as the statement starts).
 * The plans are meant to be the same for every value (see the top); estimated the same too,
 * PostgreSQL makes each statement's plan once per connection and keeps it (its "generic plan"
 * for prepared statements, adapters/db/named-statements.ts) instead of planning every search
 * afresh: 1-3 ms a statement.
 */
function unseen(value: string | string[], type: 'text' | 'text[]' | 'uuid' = typeof value === 'string' ? 'text' : 'text[]'): Fragment {
  return sql`(SELECT ${value}::${sql.raw(type)})`;
}

/**
 * The key starts with the word, checked on each entry: with the pattern unseen, no index can
 * serve it, and the planner keeps to the one meant. The word's own wildcards are taken literally.
 */
function startsWith(key: Fragment, word: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${key} LIKE ${unseen(`${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`)}`;
}

/**
 * The first string after every string that starts with `prefix`, in code-point order: the prefix
 * with its last code point raised by one. Null when there is none (only U+10FFFF at the end).
 */
function prefixEnd(prefix: string): string | null {
  const codePoints = [...prefix].map((character) => character.codePointAt(0)!);
  while (codePoints.at(-1) === 0x10ffff) codePoints.pop();
  const last = codePoints.pop();
  if (last === undefined) return null;
  // Surrogates are not characters; the one after U+D7FF is U+E000.
  return String.fromCodePoint(...codePoints, last === 0xd7ff ? 0xe000 : last + 1);
}

function allOf(conditions: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  return conditions.length === 0 ? sql<SqlBool>`true` : sql<SqlBool>`(${sql.join(conditions, sql` AND `)})`;
}

function anyOf(conditions: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.join(conditions, sql` OR `)})`;
}

function encodeCursor(cursor: Key): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(value: string): Key {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      parsed.every((part) => typeof part === 'string') &&
      isUuid(parsed[2] as string)
    ) {
      return parsed as Key;
    }
  } catch {
    // fall through to the refusal below
  }
  throw new AppError('validation_failed', { fields: { cursor: 'This cursor is not valid.' } });
}
