// The in-process background loop shared by the notification worker and the audit sealer: a
// round, then a pause of the poll interval, unless the round says more is waiting or a wake
// arrives. A failed round is reported and the next one tries again (the database may be
// briefly away). stop() finishes the round in flight rather than cutting it off.

export interface PollingLoop {
  start(): void;
  /** Runs the next round now instead of at the end of the pause. */
  wake(): void;
  /** Resolves once the round in flight, if any, has finished; the loop never starts again. */
  stop(): Promise<void>;
}

export interface PollingLoopOptions {
  /** Resolves true when more work may be waiting: the next round then runs without a pause. */
  round: () => Promise<boolean>;
  pollIntervalInMs: number;
  onError: (error: unknown) => void;
}

export function createPollingLoop({ round, pollIntervalInMs, onError }: PollingLoopOptions): PollingLoop {
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
      let moreWaiting = false;
      try {
        moreWaiting = await round();
      } catch (error) {
        onError(error);
      }
      if (!moreWaiting) await pause();
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
      state = 'stopped';
      interruptPause?.();
      await loop;
    },
  };
}
