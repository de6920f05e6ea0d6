import { parseFlowKey, type FlowKey } from '../accounts/flow-ref.ts';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { createProbeRounds, type MetricsProbes, type ProbeName } from './probe-rounds.ts';

/**
 * The gauges /metrics computes from Redis at scrape time. They read through `createProbeRounds`, so a scrape
 * costs Redis at most one round every few seconds however many scrapers there are, and a Redis that fails or
 * hangs leaves the last readings in place instead of breaking the scrape. Ages are computed from stored
 * timestamps at every scrape, so they keep growing while the readings are old.
 */
export function registerProbeGauges(
  registers: Registry[],
  options: { now: () => number; intervalMs: number; waitMs: number; log?: Pick<Logger, 'warn' | 'info'>; inRedisOutage?: () => boolean },
): { setProbes(probes: MetricsProbes): void } {
  const { now, log } = options;
  let probes: MetricsProbes | undefined;
  const errors = new Counter({
    name: 'portable_watch_metrics_probe_errors_total',
    help: 'Scrape-time reads of Redis that failed or did not answer in time; the gauges they feed kept their last values.',
    labelNames: ['probe'],
    registers,
    // Waits for this scrape's round, so a failure shows in the same scrape as the stale values it caused.
    async collect() {
      await read();
    },
  });
  const failing = new Set<ProbeName>();
  const rounds = createProbeRounds({
    intervalMs: options.intervalMs,
    waitMs: options.waitMs,
    now,
    onError(probe, error) {
      errors.inc({ probe });
      // During a Redis outage every probe fails: the outage log tells that once, and the counter still counts.
      if (options.inRedisOutage?.() === true) return;
      if (!failing.has(probe)) log?.warn({ probe, err: error }, 'metrics probe failed; its gauges keep their last values');
      failing.add(probe);
    },
    onSuccess(probe) {
      if (failing.delete(probe)) log?.info({ probe }, 'metrics probe answers again');
    },
  });
  const read = () => (probes === undefined ? undefined : rounds.read(probes));

  new Gauge({
    name: 'portable_watch_notification_queue_jobs',
    help: 'Notification jobs by state (waiting and delayed ones are alerts not yet delivered).',
    labelNames: ['state'],
    registers,
    async collect() {
      for (const [state, count] of Object.entries((await read())?.notificationJobs ?? {})) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'portable_watch_check_queue_jobs',
    help: 'Check jobs by state; a growing waiting count means checks fall behind their schedules.',
    labelNames: ['state'],
    registers,
    async collect() {
      for (const [state, count] of Object.entries((await read())?.checkJobs ?? {})) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'portable_watch_notification_oldest_waiting_seconds',
    help: 'Age of the oldest alert still waiting to be delivered (0 when none waits).',
    registers,
    async collect() {
      const oldest = (await read())?.oldestWaitingNotification;
      if (oldest !== undefined) this.set(oldest === null ? 0 : Math.max(0, (now() - oldest) / 1000));
    },
  });

  // The newest success seen per flow: survives Redis losing its state, so the age does not jump back to when
  // this process started watching the flow.
  const lastSuccess = new Map<FlowKey, number>();
  new Gauge({
    name: 'portable_watch_flow_last_success_age_seconds',
    help: 'Seconds since the last successful check of each configured flow, or since this process started watching it when none is known.',
    labelNames: ['account', 'flow'],
    registers,
    async collect() {
      const readings = await read();
      if (readings === undefined || probes === undefined) return;
      const watched = probes.watchedFlows();
      for (const [flowId, at] of readings.lastSuccessfulChecks ?? []) lastSuccess.set(flowId, Math.max(at, lastSuccess.get(flowId) ?? at));
      for (const flowId of lastSuccess.keys()) if (!watched.has(flowId)) lastSuccess.delete(flowId);
      // Rebuilt each scrape, so a flow removed from the config stops being reported.
      this.reset();
      const at = now();
      // A success older than this process still counts: a worker that crash-loops must not reset the age.
      for (const [key, since] of watched) this.set(flowLabels(key), Math.max(0, (at - (lastSuccess.get(key) ?? since)) / 1000));
    },
  });

  return {
    setProbes(next) {
      probes = next;
    },
  };
}

/** A flow's series: its account and its Portable id, so two accounts' flow 42 are two series. */
function flowLabels(key: FlowKey): { account: string; flow: string } {
  const ref = parseFlowKey(key);
  return ref === undefined ? { account: '', flow: key } : { account: ref.account, flow: String(ref.id) };
}
