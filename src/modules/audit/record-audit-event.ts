// Every audit row is written through here, inside the transaction of the change it
// records. `details` never holds a code, password or token: callers pass counts and ids.
import type { Kysely } from 'kysely';
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

export async function recordAuditEvent(db: Kysely<Tables>, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      type: event.type,
      at: event.at,
      actor_id: event.actorId,
      target_id: event.targetId,
      outcome: event.outcome,
      ip: event.meta.ip,
      user_agent: event.meta.userAgent,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

export const cliMeta: RequestMeta = { ip: null, userAgent: 'latchkey-cli' };
