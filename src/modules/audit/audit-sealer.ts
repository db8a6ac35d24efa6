// The in-process loop that seals the audit log: a batch every second, batches back to back
// while a backlog lasts. Every instance runs one; the chain head lock makes them take turns.
// On shutdown a last round seals what the final requests wrote, so a clean stop leaves
// nothing unsealed until the next start.
import { createPollingLoop } from '../../shared/polling-loop.js';
import { SEAL_BATCH_SIZE, type SealDeps, sealAuditBatch, sealAuditEvents } from './seal-audit-events.js';

export interface AuditSealer {
  start(): void;
  /** Finishes the round in flight, then seals what is left. */
  stop(): Promise<void>;
}

export interface AuditSealerDeps extends SealDeps {
  log: { warn(fields: object, message: string): void };
}

export function createAuditSealer(deps: AuditSealerDeps, options: { pollIntervalInMs?: number } = {}): AuditSealer {
  const warn = (error: unknown, message: string) => deps.log.warn({ error: error instanceof Error ? error.message : String(error) }, message);
  const loop = createPollingLoop({
    pollIntervalInMs: options.pollIntervalInMs ?? 1000,
    round: async () => (await sealAuditBatch(deps)) === SEAL_BATCH_SIZE,
    // The events wait unsealed; the next round tries again.
    onError: (error) => warn(error, 'audit sealing round failed'),
  });
  let stopped = false;
  return {
    start: () => loop.start(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop.stop();
      try {
        await sealAuditEvents(deps);
      } catch (error) {
        warn(error, 'last audit sealing round failed; the next start seals the rest');
      }
    },
  };
}
