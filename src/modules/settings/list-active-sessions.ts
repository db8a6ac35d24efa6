// The user's signed-in sessions (ASVS 5.0 7.5.2): where and when, never a token or its hash.
import { addSeconds } from '../../shared/clock.js';
import type { CurrentSession } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { describeDevice } from './describe-device.js';

export interface ActiveSessionView {
  id: string;
  device: string;
  ip: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

export async function listActiveSessions(deps: Pick<Deps, 'db' | 'clock' | 'policy'>, input: { session: CurrentSession }): Promise<ActiveSessionView[]> {
  const now = deps.clock.now();
  const { idleTimeoutInSeconds, absoluteTimeoutInSeconds } = deps.policy.sessions;
  const rows = await deps.db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_seen_at', 'ip', 'user_agent'])
    .where('user_id', '=', input.session.user.id)
    .where('state', '=', 'active')
    .where('created_at', '>=', addSeconds(now, -absoluteTimeoutInSeconds))
    .where('last_seen_at', '>=', addSeconds(now, -idleTimeoutInSeconds))
    .orderBy('last_seen_at', 'desc')
    .orderBy('id')
    .execute();
  const views = rows.map((row) => ({
    id: row.id,
    device: describeDevice(row.user_agent),
    ip: row.ip,
    createdAt: new Date(row.created_at),
    lastSeenAt: new Date(row.last_seen_at),
    current: row.id === input.session.id,
  }));
  // The one in use first: it is the reference point for recognising the others.
  return [...views.filter((view) => view.current), ...views.filter((view) => !view.current)];
}
