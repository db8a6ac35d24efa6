// Storage of backup-code sets: a user has at most one active set (a partial unique index
// says so too); issuing a set revokes the unused codes of the previous one in the same
// transaction (SPEC §2).
import { type Kysely, sql } from 'kysely';
import type { Tables } from '../../../adapters/db/schema.js';
import type { ServerKeys } from '../../../shared/secrets.js';
import { backupCodeLookup, hashBackupCode } from './code-hashing.js';
import { formatBackupCode, generateBackupCode } from './code-format.js';

export interface PreparedBackupCodes {
  /** Shown once, in the reply to the request that made them; never stored. */
  displayCodes: string[];
  rows: { lookup: string; hash: string }[];
}

/** The slow part (one argon2id hash per code), done before the transaction opens. */
export async function prepareBackupCodes(keys: ServerKeys, userId: string, count: number): Promise<PreparedBackupCodes> {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(generateBackupCode());
  const plain = [...codes];
  const rows = await Promise.all(
    plain.map(async (code) => ({ lookup: backupCodeLookup(keys, userId, code), hash: await hashBackupCode(keys, code) })),
  );
  return { displayCodes: plain.map(formatBackupCode), rows };
}

export interface RevokedSet {
  setId: string;
  unusedCodes: number;
}

export async function revokeActiveSet(trx: Kysely<Tables>, userId: string, now: Date): Promise<RevokedSet | null> {
  const revoked = await trx
    .updateTable('backup_code_sets')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning(['id', sql<number>`(SELECT count(*)::int FROM backup_codes c WHERE c.set_id = backup_code_sets.id AND c.used_at IS NULL)`.as('unused')])
    .executeTakeFirst();
  return revoked === undefined ? null : { setId: revoked.id, unusedCodes: revoked.unused };
}

export async function insertSet(
  trx: Kysely<Tables>,
  input: {
    userId: string;
    origin: 'staff' | 'self';
    issuedBy: string | null;
    now: Date;
    expiresAt: Date | null;
    prepared: PreparedBackupCodes;
  },
): Promise<string> {
  const set = await trx
    .insertInto('backup_code_sets')
    .values({
      user_id: input.userId,
      origin: input.origin,
      issued_by: input.issuedBy,
      created_at: input.now,
      expires_at: input.expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('backup_codes')
    .values(input.prepared.rows.map((row) => ({ set_id: set.id, user_id: input.userId, lookup: row.lookup, hash: row.hash })))
    .execute();
  return set.id;
}

export interface BackupCodeStatus {
  remaining: number;
  origin: 'staff' | 'self';
  createdAt: Date;
  expiresAt: Date | null;
}

/** The user's usable set: not revoked, not expired. */
export async function findBackupCodeStatus(db: Kysely<Tables>, userId: string, now: Date): Promise<BackupCodeStatus | null> {
  const row = await db
    .selectFrom('backup_code_sets as s')
    .select([
      's.origin',
      's.created_at',
      's.expires_at',
      sql<number>`(SELECT count(*)::int FROM backup_codes c WHERE c.set_id = s.id AND c.used_at IS NULL)`.as('remaining'),
    ])
    .where('s.user_id', '=', userId)
    .where('s.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', now)]))
    .executeTakeFirst();
  if (row === undefined) return null;
  return { remaining: row.remaining, origin: row.origin, createdAt: new Date(row.created_at), expiresAt: row.expires_at === null ? null : new Date(row.expires_at) };
}
