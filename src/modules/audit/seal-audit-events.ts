// Seals committed audit events into the chain (see chain-hash.ts). Done here, not by a
// trigger, so that the key stays out of the database. The chain head row is locked FOR
// UPDATE, which serialises sealers on every instance; under that lock the unsealed events
// are taken in id order and given the next seq. An event whose transaction commits after a
// higher id was sealed is simply sealed in a later round with a higher seq: seq, not id, is
// the chain's order.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/database.js';
import type { ServerKeys } from '../../shared/secrets.js';
import { chainHash, chainedEvent, selectChainFields } from './chain-hash.js';

export interface SealDeps {
  db: Db;
  keys: ServerKeys;
}

export const SEAL_BATCH_SIZE = 500;

/** Seals one batch in one transaction; returns how many events it sealed. */
export async function sealAuditBatch(deps: SealDeps, batchSize = SEAL_BATCH_SIZE): Promise<number> {
  // Probed without the lock, so that an idle log costs every instance one index look-up a
  // second, not a row lock and a transaction id.
  const waiting = await deps.db.selectFrom('audit_events').select('id').where('seq', 'is', null).limit(1).executeTakeFirst();
  if (waiting === undefined) return 0;
  const key = deps.keys.get('audit-chain');
  return deps.db.transaction().execute(async (trx) => {
    const head = await trx
      .selectFrom('audit_chain_head')
      .select((eb) => [eb.cast<string>('last_seq', 'text').as('last_seq'), 'last_hash'])
      .forUpdate()
      .executeTakeFirstOrThrow();
    const rows = await selectChainFields(trx).where('seq', 'is', null).orderBy('audit_events.id').limit(batchSize).execute();
    if (rows.length === 0) return 0;
    let seq = BigInt(head.last_seq);
    let hash = head.last_hash;
    const sealed = rows.map((row) => {
      seq += 1n;
      hash = chainHash(key, hash, chainedEvent(seq.toString(), row));
      return sql`(${row.id}, ${seq.toString()}, ${hash})`;
    });
    const updated = await sql<{ id: string }>`
      UPDATE audit_events AS e SET seq = v.seq::bigint, chain_hash = v.chain_hash
      FROM (VALUES ${sql.join(sealed)}) AS v (id, seq, chain_hash)
      WHERE e.id = v.id::bigint AND e.seq IS NULL
      RETURNING e.id`.execute(trx);
    // Under the head lock no one else seals, so every row taken must still be unsealed.
    if (updated.rows.length !== rows.length) throw new Error('audit sealing raced another sealer; rolled back');
    await trx.updateTable('audit_chain_head').set({ last_seq: seq.toString(), last_hash: hash }).execute();
    return rows.length;
  });
}

/** Seals everything committed so far, batch after batch; returns how many it sealed. */
export async function sealAuditEvents(deps: SealDeps, batchSize = SEAL_BATCH_SIZE): Promise<number> {
  let total = 0;
  for (;;) {
    const sealed = await sealAuditBatch(deps, batchSize);
    total += sealed;
    if (sealed < batchSize) return total;
  }
}
