import { AppError } from '../../shared/app-error.js';
import type { Deps } from '../deps.js';
import { type CurrentSession, hasRecentSecondFactor } from './sessions.js';

/** Sensitive actions need a second factor proven within the step-up window (SPEC §2, §7). */
export function requireRecentSecondFactor(deps: Pick<Deps, 'clock' | 'policy'>, session: CurrentSession): void {
  if (session.state !== 'active') throw new AppError('unauthenticated');
  if (!hasRecentSecondFactor(session, deps.clock.now(), deps.policy.sessions.stepUpWindowInSeconds)) {
    throw new AppError('reauthentication_required');
  }
}

/**
 * Managing one's own factors: a signed-in session with a recent second factor, or a
 * session that has none yet and is enrolling its first (SPEC §3 step 3).
 */
export function requireFactorManagement(deps: Pick<Deps, 'clock' | 'policy'>, session: CurrentSession): void {
  if (session.state === 'enrollment') return;
  requireRecentSecondFactor(deps, session);
}
