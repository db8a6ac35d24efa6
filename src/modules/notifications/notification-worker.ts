// The in-process loop that drains the outbox: a round every second, or at once when woken
// after a commit that queued something. Every instance runs one; they share the rows
// (deliver-notifications.ts claims with SKIP LOCKED). On shutdown the round in flight is
// finished, so no message is left half-sent by a clean stop.
import type { Clock } from '../../shared/clock.js';
import { createPollingLoop } from '../../shared/polling-loop.js';
import { DELIVERY_BATCH_SIZE, type DeliveryDeps, deliverDueNotifications } from './deliver-notifications.js';
import type { Notifier } from './notification-transport.js';

export interface NotificationWorker extends Notifier {
  start(): void;
  /** Finishes the round in flight, then closes the transport. */
  stop(): Promise<void>;
}

export function createNotificationWorker(
  deps: DeliveryDeps & { clock: Clock },
  options: { pollIntervalInMs?: number } = {},
): NotificationWorker {
  const loop = createPollingLoop({
    pollIntervalInMs: options.pollIntervalInMs ?? 1000,
    // A full round means more may be due: go on without waiting.
    round: async () => (await deliverDueNotifications(deps, deps.clock.now())).claimed === DELIVERY_BATCH_SIZE,
    // The database may be briefly away; the rows wait, and the next round tries again.
    onError: (error) => deps.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'notification round failed'),
  });
  let stopped = false;
  return {
    start: () => loop.start(),
    wake: () => loop.wake(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop.stop();
      await deps.transport.close();
    },
  };
}
