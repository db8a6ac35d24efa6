import type { Deps } from '../../modules/deps.js';

/** What the HTTP routes are given: the domain's dependencies and the server's public origin. */
export interface HttpContext {
  deps: Deps;
  publicUrl: string | null;
}
