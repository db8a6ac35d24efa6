// The in-process loop that drains the outbox: a round every second, or at once when woken
// after a commit that queued something. Every instance runs one; they share the rows
// (deliver-notifications.ts claims with SKIP LOCKED). On shutdown the round in flight is
// finished, so no message is left half-sent by a clean stop.
import type { Clock } from '../../shared/clock.js';
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
  const pollIntervalInMs = options.pollIntervalInMs ?? 1000;
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let loop: Promise<void> | null = null;
  // A wake that arrives during a round must not be lost: the next pause is skipped.
  let wakeRequested = false;
  let interruptPause: (() => void) | null = null;

  const pause = (): Promise<void> => {
    if (wakeRequested || state !== 'running') {
      wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        interruptPause = null;
        wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, pollIntervalInMs);
      interruptPause = done;
    });
  };

  const run = async (): Promise<void> => {
    while (state === 'running') {
      let fullRound = false;
      try {
        const round = await deliverDueNotifications(deps, deps.clock.now());
        fullRound = round.claimed === DELIVERY_BATCH_SIZE;
      } catch (error) {
        // The database may be briefly away; the rows wait, and the next round tries again.
        deps.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'notification round failed');
      }
      // A full round means more may be due: go on without waiting.
      if (!fullRound) await pause();
    }
  };

  return {
    start() {
      if (state !== 'idle') return;
      state = 'running';
      loop = run();
    },
    wake() {
      wakeRequested = true;
      interruptPause?.();
    },
    async stop() {
      if (state === 'stopped') return;
      const wasRunning = state === 'running';
      state = 'stopped';
      interruptPause?.();
      if (wasRunning) await loop;
      await deps.transport.close();
    },
  };
}
