import type { Deps } from '../../modules/deps.js';
import type { RateLimiters } from './rate-limits.js';

/** What the HTTP routes are given: the domain's dependencies, the server's public origin, the per-address limits. */
export interface HttpContext {
  deps: Deps;
  publicUrl: string | null;
  limits: RateLimiters;
}
