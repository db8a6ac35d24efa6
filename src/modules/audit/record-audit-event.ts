// Every audit row is written through here, inside the transaction of the change it
// records. `details` never holds a code, password or token: callers pass counts and ids.
import type { Kysely, QueryCreator } from 'kysely';
import type { AuditEventType } from '../../../contract/audit.js';
import type { Tables } from '../../adapters/db/schema.js';

export type { AuditEventType };

/** Where a request came from, for the audit trail. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface AuditEvent {
  type: AuditEventType;
  at: Date;
  actorId: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  meta: RequestMeta;
  details?: Record<string, string | number | boolean | null>;
}

/** One event, or several in one INSERT (in their order). */
export async function recordAuditEvent(db: Kysely<Tables>, event: AuditEvent | AuditEvent[]): Promise<void> {
  await db.insertInto('audit_events').values(auditRows(event)).execute();
}

/**
 * The audit row written by the same statement as the change it records: a data-modifying
 * `WITH` in front of the write that follows (`withAuditEvent(trx, event).updateTable(…)`).
 * PostgreSQL runs it exactly once whatever the main statement reads, so the two commit
 * together as in one transaction — one round trip to the database instead of two, or four
 * with BEGIN and COMMIT, on the paths every sign-in takes. The row is written even when the
 * write changes nothing: where it may, run both in a transaction that then rolls back.
 */
export function withAuditEvent(db: Kysely<Tables>, event: AuditEvent | AuditEvent[]): QueryCreator<Tables> {
  // Typed as the plain creator: nothing reads `audit_event`, so callers need not know it exists.
  return db.with('audit_event', (cte) => cte.insertInto('audit_events').values(auditRows(event))) as unknown as QueryCreator<Tables>;
}

function auditRows(event: AuditEvent | AuditEvent[]) {
  return Array.isArray(event) ? event.map(auditRow) : [auditRow(event)];
}

function auditRow(event: AuditEvent) {
  return {
    type: event.type,
    at: event.at,
    actor_id: event.actorId,
    target_id: event.targetId,
    outcome: event.outcome,
    ip: event.meta.ip,
    user_agent: event.meta.userAgent,
    details: JSON.stringify(event.details ?? {}),
  };
}

export const cliMeta: RequestMeta = { ip: null, userAgent: 'latchkey-cli' };
