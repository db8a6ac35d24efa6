// The link of the audit chain (SECURITY §13.3): chain_hash = HMAC-SHA-256 of the previous
// link's hash and the event, under a key derived from the server secret that never enters
// the database. The encoding is frozen: changing it breaks the verification of every event
// already sealed. It reads each field as the database holds it, in a form both engines give
// alike: ids as text, `at` as whole microseconds since the epoch (timestamptz's precision,
// finer than a JS Date), `details` as canonical JSON with keys sorted.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Tables } from '../../adapters/db/schema.js';
import { hmacHex } from '../../shared/secrets.js';

/** What the first event chains to. */
export const GENESIS_HASH = '0'.repeat(64);

const ENCODING_VERSION = 'latchkey.audit.v1';

export interface ChainedEvent {
  seq: string;
  id: string;
  type: string;
  atInMicroseconds: string;
  actorId: string | null;
  targetId: string | null;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  details: unknown;
}

export function chainHash(key: Uint8Array, previousHash: string, event: ChainedEvent): string {
  return hmacHex(
    key,
    canonicalJson([
      ENCODING_VERSION,
      previousHash,
      event.seq,
      event.id,
      event.type,
      event.atInMicroseconds,
      event.actorId,
      event.targetId,
      event.outcome,
      event.ip,
      event.userAgent,
      event.details,
    ]),
  );
}

/** JSON with object keys sorted and no spaces: one text for one value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    // A number jsonb holds beyond a double's range reads as Infinity and encodes as null:
    // still one text for one row, so such a row cannot stall the sealer.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
}

/** The events' fields as chainHash reads them; seal and verify both select through here. */
export function selectChainFields(db: Kysely<Tables>) {
  return db.selectFrom('audit_events').select((eb) => [
    eb.cast<string>('id', 'text').as('id'),
    'type',
    // extract() gives numeric (exact) on PostgreSQL 14 and later, PGlite included.
    sql<string>`(extract(epoch FROM at) * 1000000)::bigint::text`.as('at_in_microseconds'),
    eb.cast<string | null>('actor_id', 'text').as('actor_id'),
    eb.cast<string | null>('target_id', 'text').as('target_id'),
    'outcome',
    'ip',
    'user_agent',
    'details',
  ]);
}

export type ChainFieldsRow = Awaited<ReturnType<ReturnType<typeof selectChainFields>['execute']>>[number];

export function chainedEvent(seq: string, row: ChainFieldsRow): ChainedEvent {
  return {
    seq,
    id: row.id,
    type: row.type,
    atInMicroseconds: row.at_in_microseconds,
    actorId: row.actor_id,
    targetId: row.target_id,
    outcome: row.outcome,
    ip: row.ip,
    userAgent: row.user_agent,
    details: row.details,
  };
}
