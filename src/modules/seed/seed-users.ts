// Bulk users for benchmarks and load tests (issue #6): `latchkey seed --users N`. They are
// fixtures, not people, and three shortcuts make a million of them a matter of a minute —
// shortcuts acceptable here and nowhere else:
// - every bulk user has the same password, hashed once (one argon2id hash costs ~50 ms);
// - every bulk user with an authenticator app has the same TOTP seed, encrypted once with
//   the server key exactly as enrolment stores it;
// - every bulk user with backup codes has the same set of codes, each hashed once (keyed
//   argon2id, as any code), while the lookup MAC is computed per user, as the sign-in finds
//   it: a code is spent per user by the usual conditional UPDATE.
// The three secrets are returned once, for the operator. No audit event is written per user:
// a million `user.created` rows would double the time and the audit sealer's work for
// accounts nobody created.
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/database.js';
import { encrypt } from '../../shared/secrets.js';
import type { Deps } from '../deps.js';
import { formatBackupCode, generateBackupCode } from '../twofactor/backup-codes/code-format.js';
import { backupCodeLookup, hashBackupCode } from '../twofactor/backup-codes/code-hashing.js';
import { TOTP_FACTOR_LABEL } from '../twofactor/totp/enroll-totp.js';
import { generateTotpSecret } from '../twofactor/totp/totp.js';
import { hashPassword } from '../users/passwords.js';
import { FIRST_NAMES, LAST_NAMES } from './bulk-names.js';

export const MAX_BULK_USERS = 10_000_000;
/** Users with backup codes when the caller names no number (and keeps the codes). */
export const DEFAULT_BULK_USERS_WITH_CODES = 1_000;

// Rows per transaction: large enough that round trips do not count, small enough that a
// progress bar moves and a failure loses little.
const BATCH_SIZE = 10_000;
const CONCURRENT_BATCHES = 2;
const TOTP_SHARE = 0.2;
const STAFF_SHARE = 0.01;
// Of the staff, one in STAFF_VIEWER_EVERY may view users, one in STAFF_ISSUER_EVERY may also
// generate backup codes; the rest have no permission at all.
const STAFF_VIEWER_EVERY = 10;
const STAFF_ISSUER_EVERY = 50;
const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'] as const;

export interface BulkSeedOptions {
  users: number;
  /** How many of the users with an authenticator app also get the shared backup codes. */
  withBackupCodes: number;
  onProgress?: (created: number, total: number) => void;
}

export interface BulkSeedResult {
  users: number;
  staff: number;
  staffWithPermissions: number;
  withTotp: number;
  withBackupCodes: number;
  /** The password of every bulk user. */
  password: string;
  /** The TOTP seed (base32) of every bulk user with an authenticator app. */
  totpSecret: string;
  /** The backup codes, as shown, of every bulk user with backup codes; each works once per user. */
  backupCodes: string[];
  usernamesWithBackupCodes: string[];
}

/** Users with an authenticator app among `users` bulk users: the ceiling of `withBackupCodes`. */
export function maxUsersWithBackupCodes(users: number): number {
  return Math.round(users * TOTP_SHARE);
}

export async function seedUsers(deps: Pick<Deps, 'db' | 'clock' | 'keys' | 'policy'>, options: BulkSeedOptions): Promise<BulkSeedResult> {
  const total = options.users;
  if (!Number.isInteger(total) || total < 1 || total > MAX_BULK_USERS) throw new RangeError(`users must be between 1 and ${MAX_BULK_USERS}`);
  const totpStripe = maxUsersWithBackupCodes(total);
  const withCodes = options.withBackupCodes;
  if (!Number.isInteger(withCodes) || withCodes < 0 || withCodes > totpStripe) throw new RangeError(`withBackupCodes must be between 0 and ${totpStripe}`);

  const now = deps.clock.now();
  const password = `bulk-${randomBytes(12).toString('base64url')}`;
  const totpSecret = generateTotpSecret();
  const codes = Array.from(new Set(Array.from({ length: deps.policy.backupCodes.perSet }, generateBackupCode)));
  const [passwordHash, codeHashes] = await Promise.all([hashPassword(password), Promise.all(codes.map((code) => hashBackupCode(deps.keys, code)))]);
  const shared: SharedSecrets = {
    passwordHash,
    totpCiphertext: encrypt(deps.keys.get('totp-seed-encryption'), totpSecret),
    codes,
    codeHashes,
  };
  const firstNumber = (await highestUsernameNumber(deps.db)) + 1n;
  const staffCount = Math.round(total * STAFF_SHARE);

  const result: BulkSeedResult = {
    users: 0,
    staff: 0,
    staffWithPermissions: 0,
    withTotp: 0,
    withBackupCodes: 0,
    password,
    totpSecret,
    backupCodes: codes.map(formatBackupCode),
    usernamesWithBackupCodes: [],
  };
  // Two batches in flight: the database maintains the indexes for one while the next is built
  // and sent, which on two cores nearly halves the time of a million.
  const inFlight = new Set<Promise<void>>();
  try {
    for (let start = 0; start < total; start += BATCH_SIZE) {
      const batch = newBatch();
      for (let index = start; index < Math.min(start + BATCH_SIZE, total); index += 1) {
        const id = randomUUID();
        const user = bulkUser(firstNumber + BigInt(index), index);
        const staffIndex = stripeIndex(index, staffCount, total);
        const totpIndex = stripeIndex(index, totpStripe, total);
        batch.ids.push(id);
        batch.kinds.push(staffIndex === null ? 'customer' : 'staff');
        batch.usernames.push(user.username);
        batch.emails.push(user.email);
        batch.firstNames.push(user.firstName);
        batch.lastNames.push(user.lastName);
        if (staffIndex !== null) {
          const grants = staffIndex % STAFF_ISSUER_EVERY === 0 ? ['users.view', 'users.generate_lockout_codes'] : staffIndex % STAFF_VIEWER_EVERY === 0 ? ['users.view'] : [];
          for (const codename of grants) batch.grants.push([id, codename]);
          result.staff += 1;
          if (grants.length > 0) result.staffWithPermissions += 1;
        }
        // Staff always have an authenticator app: the Admin Platform asks for one.
        if (staffIndex !== null || totpIndex !== null) batch.withTotp.push(id);
        if (totpIndex !== null && stripeIndex(totpIndex, withCodes, totpStripe) !== null) {
          batch.withCodes.push(id);
          result.usernamesWithBackupCodes.push(user.username);
        }
      }
      const inserted = insertBatch(deps.db, batch, shared, deps.keys, now).then(() => {
        inFlight.delete(inserted);
        result.users += batch.ids.length;
        result.withTotp += batch.withTotp.length;
        result.withBackupCodes += batch.withCodes.length;
        options.onProgress?.(result.users, total);
      });
      inFlight.add(inserted);
      if (inFlight.size >= CONCURRENT_BATCHES) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } catch (error) {
    // Let the other batch end before the caller closes the database under it.
    await Promise.allSettled(inFlight);
    throw error;
  }
  // Plans rest on statistics and index-only reads on the visibility map: a million new rows
  // would otherwise wait for autovacuum, and until then the admin search walks the wrong
  // index and a redemption's count of the codes left scans every unused code of every user.
  await sql`VACUUM (ANALYZE) users, user_permissions, factors, backup_code_sets, backup_codes`.execute(deps.db);
  return result;
}

interface SharedSecrets {
  passwordHash: string;
  totpCiphertext: string;
  codes: string[];
  codeHashes: string[];
}

interface Batch {
  ids: string[];
  kinds: ('customer' | 'staff')[];
  usernames: string[];
  emails: string[];
  firstNames: string[];
  lastNames: string[];
  withTotp: string[];
  withCodes: string[];
  grants: [userId: string, codename: string][];
}

function newBatch(): Batch {
  return { ids: [], kinds: [], usernames: [], emails: [], firstNames: [], lastNames: [], withTotp: [], withCodes: [], grants: [] };
}

async function insertBatch(db: Db, batch: Batch, shared: SharedSecrets, keys: Deps['keys'], now: Date): Promise<void> {
  // The lookups need only the user id and the code: computed before the transaction opens.
  const codeRows = { setIds: [] as string[], userIds: [] as string[], lookups: [] as string[], positions: [] as number[] };
  const setIds = batch.withCodes.map(() => randomUUID());
  batch.withCodes.forEach((userId, userIndex) => {
    shared.codes.forEach((code, position) => {
      codeRows.setIds.push(setIds[userIndex]!);
      codeRows.userIds.push(userId);
      codeRows.lookups.push(backupCodeLookup(keys, userId, code));
      codeRows.positions.push(position + 1);
    });
  });
  // Arrays unnested server-side: one statement per table per batch, on either engine.
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO users (id, kind, username, email, first_name, last_name, password_hash, created_at, updated_at)
      SELECT id, kind, username, email, first_name, last_name, ${shared.passwordHash}, ${now}, ${now}
      FROM unnest(${batch.ids}::uuid[], ${batch.kinds}::text[], ${batch.usernames}::text[], ${batch.emails}::text[],
                  ${batch.firstNames}::text[], ${batch.lastNames}::text[]) AS t (id, kind, username, email, first_name, last_name)`.execute(trx);
    if (batch.grants.length > 0) {
      await sql`
        INSERT INTO user_permissions (user_id, codename)
        SELECT user_id, codename FROM unnest(${batch.grants.map(([id]) => id)}::uuid[], ${batch.grants.map(([, codename]) => codename)}::text[]) AS t (user_id, codename)`.execute(trx);
    }
    if (batch.withTotp.length > 0) {
      await sql`
        INSERT INTO factors (user_id, type, label, secret_ciphertext, confirmed_at, created_at)
        SELECT user_id, 'totp', ${TOTP_FACTOR_LABEL}, ${shared.totpCiphertext}, ${now}, ${now} FROM unnest(${batch.withTotp}::uuid[]) AS t (user_id)`.execute(trx);
    }
    if (batch.withCodes.length > 0) {
      // The user's own recovery codes: no expiry, and no "secure your account" after use.
      await sql`
        INSERT INTO backup_code_sets (id, user_id, origin, issued_by, created_at)
        SELECT id, user_id, 'self', user_id, ${now} FROM unnest(${setIds}::uuid[], ${batch.withCodes}::uuid[]) AS t (id, user_id)`.execute(trx);
      await sql`
        INSERT INTO backup_codes (set_id, user_id, lookup, hash)
        SELECT set_id, user_id, lookup, (${shared.codeHashes}::text[])[position]
        FROM unnest(${codeRows.setIds}::uuid[], ${codeRows.userIds}::uuid[], ${codeRows.lookups}::text[], ${codeRows.positions}::int[]) AS t (set_id, user_id, lookup, position)`.execute(trx);
    }
  });
}

/**
 * Bulk usernames end in a number above any number ending an existing username, so a second
 * run adds to the first (or to real users) without a collision.
 */
async function highestUsernameNumber(db: Db): Promise<bigint> {
  const { rows } = await sql<{ highest: string | null }>`SELECT max(substring(username FROM '[0-9]+$')::numeric)::text AS highest FROM users`.execute(db);
  return BigInt(rows[0]?.highest ?? '0');
}

/** Position of `index` among `count` indexes spread evenly over `total`, or null when it is not one. */
function stripeIndex(index: number, count: number, total: number): number | null {
  const before = Math.floor((index * count) / total);
  return Math.floor(((index + 1) * count) / total) > before ? before : null;
}

interface BulkUser {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** Names drawn with a skew towards the common end of each list, the same for the same index. */
function bulkUser(number: bigint, index: number): BulkUser {
  const firstName = FIRST_NAMES[skewedPick(index, 1, FIRST_NAMES.length)]!;
  const lastName = LAST_NAMES[skewedPick(index, 2, LAST_NAMES.length)]!;
  const first = slug(firstName);
  const last = slug(lastName);
  const domain = EMAIL_DOMAINS[index % EMAIL_DOMAINS.length]!;
  // People pick their addresses in a few shapes; prefix searches meet all of them.
  const shapes = [`${first}.${last}`, `${first.slice(0, 1)}${last}`, `${last}.${first}`];
  const local = shapes[Math.floor(uniform(index, 3) * shapes.length)]!;
  return { username: `${first}.${last}${number}`, email: `${local}${number}@${domain}`, firstName, lastName };
}

// Exponent > 1 pulls draws towards index 0: with 200 names the first takes ~3 %, the last ~0.3 %.
const SKEW = 1.5;

function skewedPick(index: number, stream: number, length: number): number {
  return Math.min(length - 1, Math.floor(length * uniform(index, stream) ** SKEW));
}

/** A well-mixed number in [0, 1) from an index and a stream (murmur3's finaliser): fixtures, not secrets. */
function uniform(index: number, stream: number): number {
  let x = (index ^ Math.imul(stream, 0x9e3779b9)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 32;
}

/** ASCII letters of a name, for usernames and addresses: "Dell'Acqua" → "dellacqua", "Søren" → "soren". */
function slug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ø/g, 'o')
    .replace(/ł/g, 'l')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z]/g, '');
}
