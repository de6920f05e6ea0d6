import type { Logger } from 'pino';
import { isConnectionError } from '../redis/outage-log.ts';

/**
 * Runs the delivery work no job triggers: due digests are sent and ended holds judged, every `everyMs` on each
 * replica (the work itself keeps replicas apart). A round that fails is logged and the next one tries again; a
 * Redis outage is told by the connection, once, not here on every round.
 */
export interface DispatchLoop {
  start(): void;
  /** Waits for a round in progress; no round starts after. */
  close(): Promise<void>;
  /** Runs a round now (tests, and the `check` command before it exits). */
  runOnce(): Promise<void>;
}

export function createDispatchLoop(options: { everyMs: number; log: Logger; rounds: ReadonlyArray<{ name: string; run: () => Promise<unknown> }> }): DispatchLoop {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> = Promise.resolve();

  const round = async () => {
    for (const { name, run } of options.rounds) {
      try {
        await run();
      } catch (error) {
        if (isConnectionError(error)) options.log.debug({ err: error, round: name }, 'delivery round skipped: Redis is not answering');
        else options.log.warn({ err: error, round: name }, 'delivery round failed; trying again shortly');
      }
    }
  };

  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      running = running.then(round).finally(schedule);
    }, options.everyMs);
    timer.unref();
  };

  return {
    start() {
      if (timer === undefined && !closed) schedule();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
    runOnce() {
      running = running.then(round);
      return running;
    },
  };
}
