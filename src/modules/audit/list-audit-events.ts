import type { Db } from '../../adapters/db/database.js';

export interface AuditListQuery {
  userId?: string | undefined;
  type?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface AuditItem {
  id: string;
  type: string;
  at: Date;
  actorId: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

/** Newest first; the cursor is the id of the last item seen (keyset, no OFFSET). */
export async function listAuditEvents(db: Db, query: AuditListQuery): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
  let select = db
    .selectFrom('audit_events')
    .select((eb) => [
      eb.cast<string>('id', 'text').as('id'),
      'type',
      'at',
      'actor_id',
      'target_id',
      'outcome',
      'ip',
      'user_agent',
      'details',
    ])
    // The table's column, not the `id` text alias above: ordered as text, '9' comes before
    // '10' and the keyset cursor (compared as a number) skips rows.
    .orderBy('audit_events.id', 'desc')
    .limit(query.limit + 1);
  if (query.userId !== undefined) {
    const userId = query.userId;
    select = select.where((eb) => eb.or([eb('target_id', '=', userId), eb('actor_id', '=', userId)]));
  }
  if (query.type !== undefined) select = select.where('type', '=', query.type);
  if (query.cursor !== undefined) select = select.where('id', '<', query.cursor);
  const rows = await select.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      type: row.type,
      at: row.at,
      actorId: row.actor_id,
      targetId: row.target_id,
      outcome: row.outcome,
      ip: row.ip,
      userAgent: row.user_agent,
      details: row.details,
    })),
    nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
