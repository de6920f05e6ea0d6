import type { Logger } from 'pino';

/**
 * Portable's clock, as its answers' `Date` headers show it. Attempts are stamped by Portable, so a check's window
 * and a run's age are measured on Portable's clock: a worker whose clock is minutes off would otherwise skip
 * attempts for good (window too late) or alert stalls too early or too late.
 */
export interface PortableClock {
  /** Records one answer's Date header against our clock at arrival. */
  observe(sample: { serverDate?: number; receivedAt: number }): void;
  /** Portable's clock minus ours, in ms: the median of the last answers; 0 before any. */
  skewMs(): number;
  /** Our time on Portable's clock, corrected only beyond SKEW_TOLERANCE_MS (the checkpoint overlap absorbs less). */
  toPortable(workerTime: number): number;
}

/**
 * Below this the worker's own clock is used as it is: a Date header has whole seconds and arrives after a network
 * trip, so small differences are noise, and the 5-minute checkpoint overlap absorbs them anyway.
 */
export const SKEW_TOLERANCE_MS = 30_000;
const SAMPLES = 5;

export function createPortableClock(options: { log: Logger; onSkew?: (seconds: number) => void }): PortableClock {
  const samples: number[] = [];
  let skew = 0;
  let reported = false;

  return {
    observe({ serverDate, receivedAt }) {
      if (serverDate === undefined || !Number.isFinite(serverDate)) return;
      // The header is truncated to the second: the middle of that second is the best single guess.
      samples.push(serverDate + 500 - receivedAt);
      if (samples.length > SAMPLES) samples.shift();
      skew = median(samples);
      options.onSkew?.(skew / 1000);
      const beyond = Math.abs(skew) > SKEW_TOLERANCE_MS;
      if (beyond && !reported) {
        options.log.warn(
          { skewSeconds: Math.round(skew / 1000) },
          "Portable's clock and this worker's differ; checks measure on Portable's clock (fix the worker's time sync)",
        );
      } else if (!beyond && reported) {
        options.log.info({ skewSeconds: Math.round(skew / 1000) }, "Portable's clock and this worker's agree again");
      }
      reported = beyond;
    },
    skewMs: () => skew,
    toPortable: (workerTime) => (Math.abs(skew) > SKEW_TOLERANCE_MS ? workerTime + skew : workerTime),
  };
}

/** The worker's own clock, for callers that have no answers to learn from (tests, one-off commands). */
export const WORKER_CLOCK: PortableClock = { observe: () => undefined, skewMs: () => 0, toPortable: (time) => time };

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
