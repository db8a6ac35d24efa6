// Checks the audit chain (see chain-hash.ts) from seq 1 to the head, in batches so that a log
// of millions of rows is never held in memory, inside one read-only snapshot so that events
// sealed meanwhile cannot look like tampering. Each link is checked against the hash stored
// in the event before it, so one changed row is named alone and the walk goes on to find the
// rest. It only reads: events not sealed yet are counted, not sealed.
//
// What it cannot see: a tail removed together with a head rewound to match. The head's hash,
// kept outside the database (ASVS 16.4.3), is what shows that.
import { sql } from 'kysely';
import type { Db } from '../../adapters/db/database.js';
import type { ServerKeys } from '../../shared/secrets.js';
import { GENESIS_HASH, chainHash, chainedEvent, selectChainFields } from './chain-hash.js';

export type ChainProblem =
  /** The event's fields (or its hash) are not what was sealed. */
  | { kind: 'changed'; seq: string; id: string }
  /** Sealed events firstSeq…lastSeq are gone; the next one left is nextSeq. */
  | { kind: 'missing'; firstSeq: string; lastSeq: string; nextSeq: string; nextId: string }
  /** The head says the chain ends at lastSeq, but the events from firstSeq on are gone. */
  | { kind: 'truncated'; firstSeq: string; lastSeq: string }
  /** Events are sealed past the head: the head was moved back. */
  | { kind: 'beyond_head'; headSeq: string; lastSeq: string }
  /** The head's hash is not the last event's. */
  | { kind: 'head_mismatch'; seq: string };

export interface ChainReport {
  /** Sealed events read. */
  sealedCount: number;
  /** What an operator may record elsewhere to detect a rewound tail later (ASVS 16.4.3). */
  head: { seq: string; hash: string };
  unsealedCount: number;
  /** The first MAX_REPORTED_PROBLEMS, in chain order. */
  problems: ChainProblem[];
  problemCount: number;
}

export const VERIFY_BATCH_SIZE = 1000;
const MAX_REPORTED_PROBLEMS = 100;

export async function verifyAuditChain(deps: { db: Db; keys: ServerKeys }, batchSize = VERIFY_BATCH_SIZE): Promise<ChainReport> {
  const key = deps.keys.get('audit-chain');
  return deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`SET TRANSACTION READ ONLY`.execute(trx);
      const head = await trx
        .selectFrom('audit_chain_head')
        .select((eb) => [eb.cast<string>('last_seq', 'text').as('last_seq'), 'last_hash'])
        .executeTakeFirstOrThrow();
      const unsealed = await trx
        .selectFrom('audit_events')
        .select((eb) => eb.cast<string>(eb.fn.countAll(), 'text').as('count'))
        .where('seq', 'is', null)
        .executeTakeFirstOrThrow();

      const problems: ChainProblem[] = [];
      let problemCount = 0;
      const report = (problem: ChainProblem) => {
        problemCount += 1;
        if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problem);
      };

      let sealedCount = 0;
      let expectedSeq = 1n;
      let previousHash = GENESIS_HASH;
      let after: string | null = null;
      for (;;) {
        let batch = selectChainFields(trx)
          .select((eb) => [eb.cast<string>('seq', 'text').as('seq'), 'chain_hash'])
          .where('seq', 'is not', null)
          // The column, not the text alias above: ordered as text, '10' comes before '9'.
          .orderBy('audit_events.seq')
          .limit(batchSize);
        if (after !== null) batch = batch.where('audit_events.seq', '>', after);
        const rows = await batch.execute();
        for (const row of rows) {
          const seq = BigInt(row.seq);
          if (seq > expectedSeq) {
            // What this event chained to is gone, so its own link cannot be checked.
            report({ kind: 'missing', firstSeq: String(expectedSeq), lastSeq: String(seq - 1n), nextSeq: row.seq, nextId: row.id });
          } else if (seq < expectedSeq || chainHash(key, previousHash, chainedEvent(row.seq, row)) !== row.chain_hash) {
            report({ kind: 'changed', seq: row.seq, id: row.id });
          }
          previousHash = row.chain_hash ?? '';
          if (seq >= expectedSeq) expectedSeq = seq + 1n;
          sealedCount += 1;
        }
        if (rows.length < batchSize) break;
        after = rows.at(-1)!.seq;
      }

      const lastSeq = expectedSeq - 1n;
      const headSeq = BigInt(head.last_seq);
      if (headSeq > lastSeq) report({ kind: 'truncated', firstSeq: String(lastSeq + 1n), lastSeq: head.last_seq });
      else if (headSeq < lastSeq) report({ kind: 'beyond_head', headSeq: head.last_seq, lastSeq: String(lastSeq) });
      else if (head.last_hash !== previousHash) report({ kind: 'head_mismatch', seq: head.last_seq });

      return {
        sealedCount,
        head: { seq: head.last_seq, hash: head.last_hash },
        unsealedCount: Number(unsealed.count),
        problems,
        problemCount,
      };
    });
}

/** One line per problem, naming the event by seq (chain order) and id (the row). */
export function describeChainProblem(problem: ChainProblem): string {
  switch (problem.kind) {
    case 'changed':
      return `event seq ${problem.seq} (id ${problem.id}) was changed`;
    case 'missing':
      return `${seqRange(problem.firstSeq, problem.lastSeq)} missing (deleted), before event seq ${problem.nextSeq} (id ${problem.nextId})`;
    case 'truncated':
      return `${seqRange(problem.firstSeq, problem.lastSeq)} missing (deleted) at the end of the chain`;
    case 'beyond_head':
      return `events are sealed up to seq ${problem.lastSeq} but the chain head says ${problem.headSeq} (the head was moved back)`;
    case 'head_mismatch':
      return `the chain head's hash is not that of event seq ${problem.seq} (the head was changed)`;
  }
}

function seqRange(first: string, last: string): string {
  return first === last ? `event seq ${first} is` : `events seq ${first} to ${last} are`;
}
