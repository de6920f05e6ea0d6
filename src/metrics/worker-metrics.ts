import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { AlertKind } from '../alerts/alert.ts';
import type { RequestInfo } from '../portable/get-json.ts';
import { registerProbeGauges } from './probe-gauges.ts';
import type { MetricsProbes } from './probe-rounds.ts';

/**
 * Everything the worker counts, in one registry per process (not prom-client's global one, so tests and the
 * demo can run several services side by side). Labels stay bounded: outcome, kind, notifier, error class and
 * flow id, never an attempt id or a URL. Ours are prefixed `portable_watch_`; prom-client's default process
 * metrics keep their usual `process_*` and `nodejs_*` names, which Node dashboards expect.
 */

export type { MetricsProbes } from './probe-rounds.ts';
export type CheckOutcomeLabel = 'ok' | 'alerted' | 'error' | 'skipped' | 'aborted' | 'crashed';
export type DeliveryOutcomeLabel = 'delivered' | 'already-delivered' | 'held' | 'gathered' | 'retry' | 'wait' | 'give-up' | 'crashed';
export type ReloadResult = 'success' | 'failure';

/** Scrapes within this long of the last round of Redis reads get its readings instead of reading again. */
export const PROBE_INTERVAL_MS = 5_000;
/** A scrape waits this long at most for Redis; slower probes keep their previous readings (and count as errors). */
export const PROBE_WAIT_MS = 2_000;

export interface WorkerMetricsOptions {
  now?: () => number;
  version?: string;
  /** Default `PROBE_INTERVAL_MS`; tests shorten it. */
  probeIntervalMs?: number;
  /** Default `PROBE_WAIT_MS`. */
  probeWaitMs?: number;
  /** Where a failing probe is reported (once when it starts failing, once when it recovers). */
  log?: Pick<Logger, 'warn' | 'info'>;
  /** Whether a Redis outage is open or just ended: probes failing then are the outage's to tell, not theirs. */
  inRedisOutage?: () => boolean;
}

export interface WorkerMetrics {
  readonly registry: Registry;
  checkFinished(outcome: CheckOutcomeLabel, durationMs: number): void;
  portableRequest(info: RequestInfo): void;
  alertRaised(kind: AlertKind): void;
  notificationSettled(kind: AlertKind, notifier: string, outcome: DeliveryOutcomeLabel): void;
  configReloaded(result: ReloadResult, at: number): void;
  /** Something in Portable's answers the worker did not understand or had to work around. */
  anomalyObserved(kind: string): void;
  /** Portable's clock minus the worker's, in seconds, from the Date header of an answer. */
  clockSkewObserved(seconds: number): void;
  /** The watchdog recreated the BullMQ workers and connections because no check completed. */
  workerRestarted(): void;
  /** Redis had lost its state (schedules, checkpoints) and the worker rebuilt it. */
  stateLost(): void;
  /** Connects the scrape-time gauges; until then they report nothing. */
  setProbes(probes: MetricsProbes): void;
  render(): Promise<string>;
  readonly contentType: string;
}

export function createWorkerMetrics(options: WorkerMetricsOptions = {}): WorkerMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({ name: 'portable_watch_build_info', help: 'Always 1; the version label says which build runs.', labelNames: ['version'], registers })
    .set({ version: options.version ?? 'unknown' }, 1);
  const checks = new Counter({ name: 'portable_watch_checks_total', help: 'Flow checks by outcome.', labelNames: ['outcome'], registers });
  const checkDuration = new Histogram({
    name: 'portable_watch_check_duration_seconds',
    help: 'Time a flow check took, Portable requests and Redis included.',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const requests = new Counter({
    name: 'portable_watch_portable_requests_total',
    help: 'HTTP requests to the Portable API (retries included) by result: ok, or the error class.',
    labelNames: ['endpoint', 'result'],
    registers,
  });
  const requestDuration = new Histogram({
    name: 'portable_watch_portable_request_duration_seconds',
    help: 'Time Portable took to answer one HTTP request.',
    labelNames: ['endpoint'],
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const alerts = new Counter({ name: 'portable_watch_alerts_total', help: 'Alerts raised (queued for delivery) by kind.', labelNames: ['kind'], registers });
  const notifications = new Counter({
    name: 'portable_watch_notifications_total',
    help: 'Delivery attempts of an alert through a notifier, by outcome (retry and wait will be tried again).',
    labelNames: ['kind', 'notifier', 'outcome'],
    registers,
  });
  const reloads = new Counter({ name: 'portable_watch_config_reloads_total', help: 'Config reloads by result.', labelNames: ['result'], registers });
  const lastReloadSuccessful = new Gauge({
    name: 'portable_watch_config_last_reload_successful',
    help: '1 when the last config reload applied, 0 when it was refused (the worker runs on the previous config).',
    registers,
  });
  lastReloadSuccessful.set(1);
  const lastReloadAt = new Gauge({ name: 'portable_watch_config_last_reload_timestamp_seconds', help: 'When the config was last reloaded or refused.', registers });

  const anomalies = new Counter({
    name: 'portable_watch_anomalies_total',
    help: "Things in Portable's answers the worker did not understand or had to work around, by kind.",
    labelNames: ['kind'],
    registers,
  });
  const clockSkew = new Gauge({
    name: 'portable_watch_clock_skew_seconds',
    help: "Portable's clock minus the worker's, from the Date header of its answers (0 until the first).",
    registers,
  });
  const restarts = new Counter({
    name: 'portable_watch_worker_restarts_total',
    help: 'Times the watchdog recreated the BullMQ workers and connections because no check completed.',
    registers,
  });
  const statesLost = new Counter({
    name: 'portable_watch_redis_state_lost_total',
    help: 'Times the worker found that Redis had lost its state (schedules, checkpoints) and rebuilt it.',
    registers,
  });
  const probeGauges = registerProbeGauges(registers, {
    now: options.now ?? Date.now,
    intervalMs: options.probeIntervalMs ?? PROBE_INTERVAL_MS,
    waitMs: options.probeWaitMs ?? PROBE_WAIT_MS,
    ...(options.log ? { log: options.log } : {}),
    ...(options.inRedisOutage ? { inRedisOutage: options.inRedisOutage } : {}),
  });

  return {
    registry,
    contentType: registry.contentType,
    checkFinished(outcome, durationMs) {
      checks.inc({ outcome });
      checkDuration.observe({ outcome }, durationMs / 1000);
    },
    portableRequest(info) {
      const endpoint = endpointOf(info.path);
      requests.inc({ endpoint, result: info.errorKind ?? 'ok' });
      if (info.status !== undefined) requestDuration.observe({ endpoint }, info.durationMs / 1000);
    },
    alertRaised(kind) {
      alerts.inc({ kind });
    },
    notificationSettled(kind, notifier, outcome) {
      notifications.inc({ kind, notifier, outcome });
    },
    configReloaded(result, at) {
      reloads.inc({ result });
      lastReloadSuccessful.set(result === 'success' ? 1 : 0);
      lastReloadAt.set(at / 1000);
    },
    anomalyObserved(kind) {
      anomalies.inc({ kind });
    },
    clockSkewObserved(seconds) {
      clockSkew.set(seconds);
    },
    workerRestarted() {
      restarts.inc();
    },
    stateLost() {
      statesLost.inc();
    },
    setProbes: (probes) => probeGauges.setProbes(probes),
    render: () => registry.metrics(),
  };
}

/** The endpoint's shape, not its path: a flow id in a label would be fine, but one per endpoint is what helps. */
export function endpointOf(path: string): string {
  const bare = path.split('?')[0] ?? path;
  if (/\/flows\/[^/]+\/run$/.test(bare)) return 'run-attempts';
  if (/\/flows\/[^/]+\/status/.test(bare)) return 'flow-status';
  if (/\/flows\/[^/]+$/.test(bare)) return 'flow';
  if (/\/flows$/.test(bare)) return 'flows';
  return 'other';
}
