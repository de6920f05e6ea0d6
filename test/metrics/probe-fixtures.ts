import type { FlowKey } from '../../src/accounts/flow-ref.ts';
import type { MetricsProbes, ProbeName } from '../../src/metrics/probe-rounds.ts';
import type { WorkerMetrics } from '../../src/metrics/worker-metrics.ts';

/** Helpers for the /metrics tests: reading Prometheus text and counting the Redis reads behind it. */

/** The value of one sample, e.g. sample(text, 'portable_watch_checks_total{outcome="ok"}'); undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export type ProbeCalls = Record<ProbeName, number>;

export function noCalls(): ProbeCalls {
  return { notificationJobs: 0, checkJobs: 0, oldestWaitingNotification: 0, lastSuccessfulChecks: 0 };
}

/** The same probes, counting in `calls` each call of the ones that read Redis. */
export function countingProbes(probes: MetricsProbes, calls: ProbeCalls = noCalls()): MetricsProbes {
  return {
    notificationJobs: () => ((calls.notificationJobs += 1), probes.notificationJobs()),
    checkJobs: () => ((calls.checkJobs += 1), probes.checkJobs()),
    oldestWaitingNotification: () => ((calls.oldestWaitingNotification += 1), probes.oldestWaitingNotification()),
    lastSuccessfulChecks: () => ((calls.lastSuccessfulChecks += 1), probes.lastSuccessfulChecks()),
    watchedFlows: () => probes.watchedFlows(),
  };
}

/** The same metrics, except that the probes a service connects count their calls in `calls`. */
export function countingMetrics(metrics: WorkerMetrics, calls: ProbeCalls): WorkerMetrics {
  return { ...metrics, setProbes: (probes) => metrics.setProbes(countingProbes(probes, calls)) };
}

/** Probes answering fixed readings from memory; override any of them. */
export function fixedProbes(overrides: Partial<MetricsProbes> = {}): MetricsProbes {
  return {
    notificationJobs: () => Promise.resolve({ wait: 0, delayed: 0, active: 0 }),
    checkJobs: () => Promise.resolve({ wait: 0, delayed: 2, active: 0 }),
    oldestWaitingNotification: () => Promise.resolve(null),
    lastSuccessfulChecks: () => Promise.resolve(new Map<FlowKey, number>()),
    watchedFlows: () => new Map<FlowKey, number>(),
    ...overrides,
  };
}
