// Sessions (SPEC §3, ASVS 5.0 V7): the client holds an opaque 256-bit random token; the
// server keeps only its SHA-256. A session starts `pending` (password only) or `enrollment`
// (password, no factor yet) and becomes `active` after the second factor, with a new token.
import { type Kysely, type QueryCreator, sql } from 'kysely';
import type { SessionState, Surface, Tables } from '../../adapters/db/schema.js';
import { addSeconds } from '../../shared/clock.js';
import { randomToken, sha256Hex } from '../../shared/secrets.js';
import type { RequestMeta } from '../audit/record-audit-event.js';
import { type AccountSecuring, accountSecuringOf } from '../settings/account-securing.js';
import { pendingEmailOf } from '../settings/email-change-codes.js';
import { type PublicUser, effectivePermissionsOf, toPublicUser } from '../users/users-repository.js';

export interface SessionTimeouts {
  idleTimeoutInSeconds: number;
  absoluteTimeoutInSeconds: number;
  pendingTimeoutInSeconds: number;
}

/** The user behind a session, with what their own settings owe (SPEC §2, §4). */
export interface SignedInUser extends PublicUser {
  pendingEmail: string | null;
  mustSecureAccount: boolean;
  accountSecuring: AccountSecuring | null;
}

export interface CurrentSession {
  id: string;
  surface: Surface;
  state: SessionState;
  createdAt: Date;
  secondFactorAt: Date | null;
  user: SignedInUser & { status: 'active' | 'disabled' };
}

// last_seen_at is written at most this often: idle time-outs stay exact to the half
// minute, and a busy session does not write on every request.
const TOUCH_INTERVAL_SECONDS = 30;

export async function createSession(
  db: QueryCreator<Tables>,
  input: { userId: string; surface: Surface; state: SessionState; now: Date; meta: RequestMeta },
): Promise<string> {
  const token = randomToken();
  await db
    .insertInto('sessions')
    .values({
      token_hash: sha256Hex(token),
      user_id: input.userId,
      surface: input.surface,
      state: input.state,
      created_at: input.now,
      last_seen_at: input.now,
      ip: input.meta.ip,
      user_agent: input.meta.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
  return token;
}

interface SessionLookupRow {
  id: string;
  surface: Surface;
  state: SessionState;
  created_at: Date;
  last_seen_at: Date;
  second_factor_at: Date | null;
  user_id: string;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  kind: 'customer' | 'staff';
  is_admin: boolean;
  status: 'active' | 'disabled';
  permissions: string[];
  pending_email: string | null;
  needs_factor: boolean | null;
  needs_recovery_codes: boolean | null;
}

/**
 * The caller behind a token, in one round trip: session ⋈ user ⋈ effective permissions,
 * touching last_seen_at on the way. Expired, unknown or disabled → null.
 */
export async function findSession(
  db: Kysely<Tables>,
  input: { token: string; surface: Surface; now: Date; timeouts: SessionTimeouts },
): Promise<CurrentSession | null> {
  if (input.token.length === 0 || input.token.length > 100) return null;
  const touchBefore = addSeconds(input.now, -TOUCH_INTERVAL_SECONDS);
  const result = await sql<SessionLookupRow>`
    WITH found AS (
      SELECT s.id, s.surface, s.state, s.created_at, s.last_seen_at, s.second_factor_at,
             u.id AS user_id, u.username, u.first_name, u.last_name, u.email, u.kind, u.is_admin, u.status,
             ${effectivePermissionsOf(sql.ref<string>('u.id'))} AS permissions,
             ${pendingEmailOf(input.now)} AS pending_email,
             ${accountSecuringOf()}
      FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = ${sha256Hex(input.token)} AND s.surface = ${input.surface}
    ), touched AS (
      UPDATE sessions SET last_seen_at = ${input.now}
      WHERE id = (SELECT id FROM found) AND last_seen_at < ${touchBefore}
    )
    SELECT * FROM found`.execute(db);
  const row = result.rows[0];
  if (row === undefined) return null;
  if (isExpired(row, input.now, input.timeouts) || row.status !== 'active') {
    await db.deleteFrom('sessions').where('id', '=', row.id).execute();
    return null;
  }
  return {
    id: row.id,
    surface: row.surface,
    state: row.state,
    createdAt: new Date(row.created_at),
    secondFactorAt: row.second_factor_at === null ? null : new Date(row.second_factor_at),
    user: {
      ...toPublicUser({ ...row, id: row.user_id }, row.permissions),
      pendingEmail: row.pending_email,
      ...accountSecuringFrom(row),
      status: row.status,
    },
  };
}

function accountSecuringFrom(row: SessionLookupRow): { mustSecureAccount: boolean; accountSecuring: AccountSecuring | null } {
  if (row.needs_factor === null || row.needs_recovery_codes === null) return { mustSecureAccount: false, accountSecuring: null };
  const owed = { needsFactor: row.needs_factor, needsRecoveryCodes: row.needs_recovery_codes };
  return owed.needsFactor || owed.needsRecoveryCodes ? { mustSecureAccount: true, accountSecuring: owed } : { mustSecureAccount: false, accountSecuring: null };
}

function isExpired(row: SessionLookupRow, now: Date, timeouts: SessionTimeouts): boolean {
  const age = (now.getTime() - new Date(row.created_at).getTime()) / 1000;
  const idle = (now.getTime() - new Date(row.last_seen_at).getTime()) / 1000;
  if (row.state !== 'active') return age > timeouts.pendingTimeoutInSeconds;
  return age > timeouts.absoluteTimeoutInSeconds || idle > timeouts.idleTimeoutInSeconds;
}

/**
 * A completed second factor: the session becomes `active` under a new token (ASVS 5.0
 * 7.2.4). Conditional on the state it was in, so a session is upgraded once. Returns the
 * new token, or null when the session changed under us.
 */
export async function upgradeSession(
  db: QueryCreator<Tables>,
  input: { sessionId: string; from: SessionState[]; now: Date },
): Promise<string | null> {
  const token = randomToken();
  const updated = await db
    .updateTable('sessions')
    .set({ token_hash: sha256Hex(token), state: 'active', second_factor_at: input.now, last_seen_at: input.now })
    .where('id', '=', input.sessionId)
    .where('state', 'in', input.from)
    .executeTakeFirst();
  return updated.numUpdatedRows === 1n ? token : null;
}

export async function deleteSession(db: Kysely<Tables>, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Whether the last second-factor check is recent enough for a sensitive action. */
export function hasRecentSecondFactor(session: CurrentSession, now: Date, windowInSeconds: number): boolean {
  return session.secondFactorAt !== null && now.getTime() - session.secondFactorAt.getTime() <= windowInSeconds * 1000;
}
