import type { FlowKey } from '../accounts/flow-ref.ts';
/**
 * The scrape-time reads of Redis behind /metrics, made cheap and safe: at most one round of reads every
 * `intervalMs` (scrapes in between get the last readings), one round in flight at a time (concurrent scrapes await
 * the same one), and never a broken or hung scrape — a probe that fails or is slower than `waitMs` keeps its
 * previous reading and is reported through `onError`. A slow probe's answer is still taken when it comes.
 */

/** What /metrics reads from outside this process (queues and Redis). */
export interface MetricsProbes {
  notificationJobs(): Promise<Record<string, number>>;
  checkJobs(): Promise<Record<string, number>>;
  /** Epoch ms when the oldest notification still waiting (to be sent or retried) was queued; null when none. */
  oldestWaitingNotification(): Promise<number | null>;
  /** Epoch ms of the last successful check of each configured flow that has had one, as Redis holds it. */
  lastSuccessfulChecks(): Promise<Map<FlowKey, number>>;
  /**
   * Each configured flow and when this process started watching it (epoch ms). In memory, so read at every
   * scrape rather than once a round: a flow added or removed by a reload shows at once.
   */
  watchedFlows(): Map<FlowKey, number>;
}

export type ProbeName = Exclude<keyof MetricsProbes, 'watchedFlows'>;
export type ProbeReadings = { -readonly [Name in ProbeName]?: Awaited<ReturnType<MetricsProbes[Name]>> };

export interface ProbeRounds {
  /** The latest readings, after starting a round if the last one is older than the interval. */
  read(probes: MetricsProbes): Promise<ProbeReadings>;
}

export function createProbeRounds(options: {
  intervalMs: number;
  waitMs: number;
  now: () => number;
  onError(probe: ProbeName, error: unknown): void;
  onSuccess?(probe: ProbeName): void;
}): ProbeRounds {
  const readings: ProbeReadings = {};
  let startedAt = Number.NEGATIVE_INFINITY;
  // `answered` settles when every probe has answered or the round is `waitMs` old, whichever comes first.
  let current: { answered: Promise<void> } | undefined;

  const round = (probes: MetricsProbes): { answered: Promise<void> } => {
    const pending = new Set<ProbeName>(PROBE_NAMES);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const name of pending) options.onError(name, new Error(`no answer within ${options.waitMs} ms`));
        // Reported once: what a late probe does next (answer or fail) is not a second error.
        pending.clear();
        resolve();
      }, options.waitMs);
      timer.unref();
    });
    const done = Promise.all(
      PROBE_NAMES.map(async (name) => {
        try {
          setReading(readings, name, await probes[name]());
          options.onSuccess?.(name);
        } catch (error) {
          if (pending.has(name)) options.onError(name, error);
        } finally {
          pending.delete(name);
        }
      }),
    ).finally(() => {
      clearTimeout(timer);
      current = undefined;
    });
    return { answered: Promise.race([done, deadline]).then(() => undefined) };
  };

  return {
    async read(probes) {
      const elapsed = options.now() - startedAt;
      // A wall clock stepped back (elapsed < 0) must not freeze the gauges until it catches up.
      if (current === undefined && (elapsed >= options.intervalMs || elapsed < 0)) {
        startedAt = options.now();
        current = round(probes);
      }
      if (current !== undefined) await current.answered;
      return readings;
    },
  };
}

function setReading<Name extends ProbeName>(readings: ProbeReadings, name: Name, value: ProbeReadings[Name]): void {
  readings[name] = value;
}

const PROBE_NAMES: readonly ProbeName[] = ['notificationJobs', 'checkJobs', 'oldestWaitingNotification', 'lastSuccessfulChecks'];
