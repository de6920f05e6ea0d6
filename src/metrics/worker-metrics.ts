import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AlertKind } from '../alerts/alert.ts';
import type { RequestInfo } from '../portable/get-json.ts';

/**
 * Everything the worker counts, in one registry per process (not prom-client's global one, so tests and the
 * demo can run several services side by side). Labels stay bounded: outcome, kind, notifier, error class and
 * flow id, never an attempt id or a URL.
 */

export type CheckOutcomeLabel = 'ok' | 'alerted' | 'error' | 'skipped' | 'aborted' | 'crashed';
export type DeliveryOutcomeLabel = 'delivered' | 'already-delivered' | 'retry' | 'wait' | 'give-up' | 'crashed';
export type ReloadResult = 'success' | 'failure';

/** What /metrics reads from outside this process at scrape time (queues and Redis), answered fresh each scrape. */
export interface MetricsProbes {
  notificationJobs(): Promise<Record<string, number>>;
  checkJobs(): Promise<Record<string, number>>;
  /** Epoch ms when the oldest notification still waiting (to be sent or retried) was queued; null when none. */
  oldestWaitingNotification(): Promise<number | null>;
  /** Epoch ms of the last successful check of each configured flow that has had one. */
  lastSuccessfulChecks(): Promise<Map<number, number>>;
}

export interface WorkerMetrics {
  readonly registry: Registry;
  checkFinished(outcome: CheckOutcomeLabel, durationMs: number): void;
  portableRequest(info: RequestInfo): void;
  alertRaised(kind: AlertKind): void;
  notificationSettled(kind: AlertKind, notifier: string, outcome: DeliveryOutcomeLabel): void;
  configReloaded(result: ReloadResult, at: number): void;
  /** Connects the scrape-time gauges; until then they report nothing. */
  setProbes(probes: MetricsProbes): void;
  render(): Promise<string>;
  readonly contentType: string;
}

export function createWorkerMetrics(options: { now?: () => number; version?: string } = {}): WorkerMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'portable_watch_' });
  let probes: MetricsProbes | undefined;

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

  new Gauge({
    name: 'portable_watch_notification_queue_jobs',
    help: 'Notification jobs by state (waiting and delayed ones are alerts not yet delivered).',
    labelNames: ['state'],
    registers,
    async collect() {
      if (probes === undefined) return;
      for (const [state, count] of Object.entries(await probes.notificationJobs())) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'portable_watch_check_queue_jobs',
    help: 'Check jobs by state; a growing waiting count means checks fall behind their schedules.',
    labelNames: ['state'],
    registers,
    async collect() {
      if (probes === undefined) return;
      for (const [state, count] of Object.entries(await probes.checkJobs())) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'portable_watch_notification_oldest_waiting_seconds',
    help: 'Age of the oldest alert still waiting to be delivered (0 when none waits).',
    registers,
    async collect() {
      if (probes === undefined) return;
      const oldest = await probes.oldestWaitingNotification();
      this.set(oldest === null ? 0 : Math.max(0, (now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'portable_watch_flow_last_success_age_seconds',
    help: 'Seconds since the last successful check of each flow (absent until its first one).',
    labelNames: ['flow'],
    registers,
    async collect() {
      if (probes === undefined) return;
      // Rebuilt each scrape, so a flow removed from the config stops being reported.
      this.reset();
      const at = now();
      for (const [flowId, checkedAt] of await probes.lastSuccessfulChecks()) this.set({ flow: String(flowId) }, Math.max(0, (at - checkedAt) / 1000));
    },
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
    setProbes(next) {
      probes = next;
    },
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
