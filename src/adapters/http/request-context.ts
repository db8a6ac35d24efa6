import type { FastifyRequest } from 'fastify';
import type { Surface } from '../../adapters/db/schema.js';
import { type RequestMeta, recordAuditEvent } from '../../modules/audit/record-audit-event.js';
import { type CurrentSession, findSession } from '../../modules/auth/sessions.js';
import type { Deps } from '../../modules/deps.js';
import type { SessionState } from '../db/schema.js';
import { AppError } from '../../shared/app-error.js';
import { readCookie, sessionCookieName } from './cookies.js';

export function requestMeta(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
}

export function isSecureRequest(request: FastifyRequest, publicUrl: string | null): boolean {
  return publicUrl === null ? request.protocol === 'https' : publicUrl.startsWith('https:');
}

/**
 * The caller's session on this surface, in one of the accepted states; otherwise 401. A
 * pending session is accepted only where the route says so (ASVS 5.0 2.3.1).
 */
export async function requireSession(
  deps: Pick<Deps, 'db' | 'clock' | 'policy'>,
  request: FastifyRequest,
  input: { surface: Surface; states: SessionState[]; publicUrl: string | null },
): Promise<CurrentSession & { token: string }> {
  const token = readCookie(request, sessionCookieName(input.surface, isSecureRequest(request, input.publicUrl)));
  if (token === null) throw new AppError('unauthenticated');
  const session = await findSession(deps.db, { token, surface: input.surface, now: deps.clock.now(), timeouts: deps.policy.sessions });
  if (session === null || !input.states.includes(session.state)) throw new AppError('unauthenticated');
  return { ...session, token };
}

/** 403 without the permission; every refusal is in the audit log (ASVS 5.0 16.3.2). */
export async function requirePermission(
  deps: Pick<Deps, 'db' | 'clock'>,
  request: FastifyRequest,
  session: CurrentSession,
  codename: string,
): Promise<void> {
  if (session.user.permissions.includes(codename)) return;
  await recordAuditEvent(deps.db, {
    type: 'access.denied',
    at: deps.clock.now(),
    actorId: session.user.id,
    targetId: null,
    outcome: 'failure',
    meta: requestMeta(request),
    details: { permission: codename, route: `${request.method} ${request.routeOptions.url ?? ''}` },
  });
  throw new AppError('forbidden');
}
