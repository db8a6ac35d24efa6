// The admin search (modules/admin/search-users.ts) against a plain reading of its rule — every
// word starts the username, first name, last name or email, case aside; listed by last name,
// first name and id — on both engines. A search changes plan with what it finds (walking the
// name order, walking on, reading whole, pairing names); run with its spans shortened, a few
// hundred users take every plan, and each must show every match once, in order, page by page.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SEARCH_SPANS, type SearchSpans, searchUsers } from '../src/modules/admin/search-users.js';
import { type TestDatabase, describeEachEngine, freshDatabase } from '../src/testing/databases.js';

interface Person {
  id: string;
  kind: 'customer' | 'staff';
  username: string;
  email: string;
  first_name: string;
  last_name: string;
}

// Names that begin one another (Ma, Mar, Maria, Mariam), that are both first and last names
// (Smith, Maria), with accents and apostrophes, and the same name twice (ordered by id then).
const FIRST_NAMES = ['Maria', 'Mariam', 'Mary', 'Ma', 'Marc', 'John', 'Johan', 'Jo', 'José', 'Anna', 'Ann', 'Zoë', 'Élodie', "D'Arcy", 'Smith', 'Gail', 'Sam', 'William', 'Alice'];
const LAST_NAMES = ['Smith', 'Smit', 'Smithson', 'García', 'Garcia', 'Gallagher', "O'Brien", 'Müller', 'Ma', 'Mar', 'Martin', 'Johnson', 'Williams', 'Anderson', 'Abernathy', 'Ali', 'Maria'];

/** Usernames and emails of every shape the search reads differently. */
function person(index: number): Omit<Person, 'id'> {
  const first = FIRST_NAMES[(index * 7) % FIRST_NAMES.length]!;
  const last = LAST_NAMES[(index * 5 + Math.floor(index / 3)) % LAST_NAMES.length]!;
  const plain = (name: string) => name.toLowerCase().replace(/[^a-zà-ÿ]/g, '');
  const usernames = [`${plain(first)}.${plain(last)}${index}`, `${first}.${last}${index}`, `${plain(last)}.${plain(first)}${index}`, `u%_\\${index}`, `zz${index}`];
  const emails = [
    `${plain(first)}.${plain(last)}${index}@bank.example`,
    `${plain(first).slice(0, 1)}${plain(last)}${index}@bank.example`,
    `${last}.${first}${index}@BANK.example`,
    `x${index}@bank.example`,
    `${plain(first)}${index}@bank.example`,
  ];
  return {
    kind: index % 9 === 0 ? 'staff' : 'customer',
    username: usernames[index % usernames.length]!,
    email: emails[Math.floor(index / 2) % emails.length]!,
    first_name: first,
    last_name: last,
  };
}

const QUERIES = [
  // one word: common, rare, none; every column; punctuation and the LIKE wildcards
  'ma', 'mar', 'maria', 'mary', 'm', 'jo', 'john', 'josé', 'jose', 'smit', 'smith', 'smith.', 'smith.j', 'jsmi', 's', 'gal',
  'garc', 'garcía', "o'b", 'mül', 'zoë', 'élo', 'ann', 'anna.', 'ali', 'u%', 'u%_\\', '%', '_', 'zz1', 'x1', 'maria.s', 'MARIA', 'q',
  // no word at all; the last code points there are, past which no prefix range can end
  '', '\u{10ffff}', 'zz\u{10ffff}', '\u{d7ff}',
  // several words: names paired, a word starting another, one word twice, three words, none
  'maria g', 'maria smith', 'g maria', 'john sm', 'sm john', 'mar maria', 'smi smith', 'ma ma', 'j s', 'anna ann', 'maria g smith',
  'alice mar', 'smith smith', 'x1 ma', 'zz john', 'maria q',
];

const PLANS: [string, SearchSpans][] = [
  ['as configured (a few hundred users: the walk sees them all)', SEARCH_SPANS],
  ['walking a little, then on', { walk: 4, walkOn: 60, countCap: 500 }],
  ['reading whole after a walk, counts cut short', { walk: 1, walkOn: 1, countCap: 3 }],
  ['reading whole after a walk, names paired when the other word has few users of its own', { walk: 1, walkOn: 1, countCap: 1000 }],
];

describeEachEngine('admin user search', (engine) => {
  let database: TestDatabase;
  let everyone: Person[];
  beforeAll(async () => {
    database = await freshDatabase(engine);
    const people = Array.from({ length: 400 }, (_, index) => ({ ...person(index), password_hash: 'not used' }));
    await database.db.insertInto('users').values(people).execute();
    everyone = await database.db.selectFrom('users').select(['id', 'kind', 'username', 'email', 'first_name', 'last_name']).execute();
  });
  afterAll(async () => database.close());

  /** Every page from the first, at `limit` a page; fails rather than loop on a cursor that stops moving. */
  async function allPages(search: { q: string; kind?: 'customer' | 'staff' }, limit: number, spans: SearchSpans): Promise<string[]> {
    const shown: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchUsers(database.db, { ...search, limit, cursor }, spans);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      if (page.nextCursor !== null) expect(page.items).toHaveLength(limit);
      shown.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && shown.length <= everyone.length);
    return shown;
  }

  for (const [plan, spans] of PLANS) {
    it(`finds every match once, in order, page by page: ${plan}`, async () => {
      for (const [index, q] of QUERIES.entries()) {
        const kind = ([undefined, 'customer', 'staff'] as const)[index % 3];
        const search = kind === undefined ? { q } : { q, kind };
        const expected = reference(everyone, search);
        const limit = [7, 25, 1, 100][index % 4]!;
        expect({ search, shown: await allPages(search, limit, spans) }).toEqual({ search, shown: expected });
      }
    });
  }

  it('has something to find for most of the searches', () => {
    const found = QUERIES.filter((q) => reference(everyone, { q }).length > 0);
    expect(found.length).toBeGreaterThan(QUERIES.length * 0.8);
    expect(reference(everyone, { q: 'ma' }).length).toBeGreaterThan(50);
  });
});

/** The rule read plainly: every word starts one of the four, case aside; by last name, first name, id in code-point order. */
function reference(people: Person[], search: { q: string; kind?: 'customer' | 'staff' }): string[] {
  const words = search.q.toLowerCase().split(/\s+/).filter(Boolean);
  const key = (person: Person) => [person.last_name.toLowerCase(), person.first_name.toLowerCase(), person.id];
  return people
    .filter((person) => search.kind === undefined || person.kind === search.kind)
    .filter((person) => words.every((word) => [person.username, person.first_name, person.last_name, person.email].some((value) => value.toLowerCase().startsWith(word))))
    .sort((a, b) => {
      const [left, right] = [key(a), key(b)];
      for (let index = 0; index < 3; index += 1) {
        const order = Buffer.compare(Buffer.from(left[index]!), Buffer.from(right[index]!));
        if (order !== 0) return order;
      }
      return 0;
    })
    .map((person) => person.id);
}
