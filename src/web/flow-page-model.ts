import type { RouteKind } from '../alerts/alert.ts';
import type { FlowConfig, WatchConfig } from '../config/config-schema.ts';
import type { LoggedAlert } from '../delivery/alert-log.ts';
import type { UnsentAlert } from '../delivery/read-unsent-alerts.ts';
import { describeSchedule, resolveSchedule } from '../detection/expected-runs.ts';
import type { FlowState } from '../detection/flow-state.ts';
import { describeRuntimeLimit, formatDurationShort, runtimeLimit } from '../detection/learned-runtime.ts';
import type { PortableSchedule } from '../detection/schedule.ts';
import { alertableKinds, routeFlow } from '../routing/route-flow.ts';
import type { FlowStatus } from '../status/flow-status.ts';
import type { Silence } from '../silences/silence-types.ts';
import { PAGE_STATE_LABELS } from './page-state.ts';
import { flowRow, type FlowRow, type WorkerHealth } from './status-page-model.ts';

/**
 * One flow's page as data: its settings as the worker applies them, its open incidents with the full error text,
 * its learned history (durations, rows loaded per resource) and its latest alerts with where each went.
 */

export interface FlowPageModel {
  now: number;
  health: WorkerHealth;
  row: FlowRow;
  settings: ReadonlyArray<{ name: string; value: string }>;
  /** Where each kind of its alerts goes, and why. */
  routes: ReadonlyArray<{ kind: RouteKind; destinations: ReadonlyArray<{ notifier: string; severity: string; because: string }> }>;
  /** Open incidents, worst first, each with what is known of it. */
  incidents: readonly IncidentView[];
  /** The last finished attempts, oldest first (at most 30). */
  attempts: FlowRow['recent'];
  /** The learned history: durations of the last successful runs (ms, oldest first) and the limit they give. */
  durations: readonly number[];
  runtimeLimit: { limitMs: number; description: string };
  /** Rows loaded per resource by the last successful runs, oldest first; most recently seen resources first. */
  loaded: ReadonlyArray<{ resource: string; values: readonly number[] }>;
  alerts: readonly AlertView[];
}

export interface IncidentView {
  kind: string;
  title: string;
  since: number;
  attemptId: number | null;
  /** The full error text (the alert's, else the first error the state kept); empty when there is none. */
  errors: readonly string[];
}

export type DeliveryState = 'delivered' | 'waiting' | 'retrying' | 'given-up' | 'held' | 'in-digest' | 'unknown';

export interface AlertView {
  key: string;
  kind: string;
  headline: string;
  sentence: string;
  detectedAt: number;
  attemptId: number | null;
  errors: readonly string[];
  deliveries: ReadonlyArray<{ notifier: string; state: DeliveryState; at: number | null; detail: string | null }>;
}

export function buildFlowPage(input: {
  now: number;
  health: WorkerHealth;
  status: FlowStatus;
  flow: FlowConfig;
  config: Pick<WatchConfig, 'routes'>;
  state: FlowState | undefined;
  portableSchedule: PortableSchedule | undefined;
  activeSilences: readonly Silence[];
  alerts: readonly LoggedAlert[];
  /** When each (alert key, notifier) was delivered, by `<key>.<notifier>`. */
  delivered: ReadonlyMap<string, number>;
  unsent: readonly UnsentAlert[];
}): FlowPageModel {
  const { status, flow, state } = input;
  const row = flowRow(status, flow.labels, input.activeSilences);
  const durations = state?.history.durations ?? [];
  const limit = runtimeLimit(flow.maxRuntime, durations, flow.autoFallback);
  const routing = routeFlow(flow, input.config.routes);
  return {
    now: input.now,
    health: input.health,
    row,
    settings: settingsOf(flow, input.portableSchedule, limit.limitMs),
    routes: alertableKinds(flow.detect).map((kind) => ({
      kind,
      destinations: routing[kind].map(({ notifier, severity, because }) => ({ notifier, severity, because })),
    })),
    incidents: incidentsOf(status, input.alerts),
    attempts: status.recentAttempts,
    durations,
    runtimeLimit: { limitMs: limit.limitMs, description: describeRuntimeLimit(limit) },
    loaded: Object.entries(state?.history.loaded ?? {})
      .reverse()
      .map(([resource, values]) => ({ resource, values })),
    alerts: input.alerts.map((alert) => alertView(alert, status, input.delivered, input.unsent)),
  };
}

function settingsOf(flow: FlowConfig, portable: PortableSchedule | undefined, limitMs: number): Array<{ name: string; value: string }> {
  const schedule = resolveSchedule(flow.schedule, portable, flow.scheduleTimezone);
  const maxRuntime = flow.maxRuntime === 'auto' ? `auto: ${formatDurationShort(limitMs)} now` : formatDurationShort(flow.maxRuntime);
  return [
    { name: 'pollEvery', value: formatDurationShort(flow.pollEvery) },
    { name: 'maxRuntime', value: maxRuntime },
    { name: 'schedule', value: schedule === undefined ? (portable === undefined && flow.schedule === undefined ? 'not read from Portable yet' : 'none (no runs expected)') : describeSchedule(schedule) },
    { name: 'detect', value: flow.detect.join(', ') },
    { name: 'alertAfter', value: String(flow.alertAfter) },
    { name: 'repeatEvery', value: flow.repeatEvery === null ? 'off' : formatDurationShort(flow.repeatEvery) },
    { name: 'partialTolerance', value: `${Math.round(flow.partialTolerance * 1000) / 10}%` },
    { name: 'backfill', value: formatDurationShort(flow.backfill) },
  ];
}

function incidentsOf(status: FlowStatus, alerts: readonly LoggedAlert[]): IncidentView[] {
  const incidents: IncidentView[] = [];
  const errorsOf = (attemptId: number | null, fallback: string | undefined) => {
    const alert = alerts.find((candidate) => attemptId !== null && candidate.attemptId === attemptId && candidate.errors.length > 0);
    return alert?.errors ?? (fallback === undefined ? [] : [fallback]);
  };
  const run = status.runIncident;
  if (run !== null) {
    const kind = run.kind === 'failed' ? 'failing' : 'stalled';
    incidents.push({ kind, title: PAGE_STATE_LABELS[kind], since: run.since, attemptId: run.attemptId, errors: errorsOf(run.attemptId, run.error) });
  }
  if (status.missed !== null) incidents.push({ kind: 'missed', title: PAGE_STATE_LABELS.missed, since: status.missed.since, attemptId: null, errors: [] });
  if (status.partial !== null) {
    const { attemptId, since } = status.partial;
    incidents.push({ kind: 'partial', title: PAGE_STATE_LABELS.partial, since, attemptId, errors: errorsOf(attemptId, undefined) });
  }
  if (status.volume !== null) incidents.push({ kind: 'volume', title: PAGE_STATE_LABELS.volume, since: status.volume.since, attemptId: status.volume.attemptId, errors: [] });
  if (status.monitor !== null) incidents.push({ kind: 'error', title: PAGE_STATE_LABELS.error, since: status.monitor.since, attemptId: null, errors: [status.monitor.message] });
  return incidents;
}

function alertView(alert: LoggedAlert, status: FlowStatus, delivered: ReadonlyMap<string, number>, unsent: readonly UnsentAlert[]): AlertView {
  return {
    key: alert.key,
    kind: alert.kind,
    headline: alert.headline,
    sentence: alert.sentence,
    detectedAt: alert.detectedAt,
    attemptId: alert.attemptId,
    errors: alert.errors,
    deliveries: alert.notifiers.map((notifier) => {
      const at = delivered.get(`${alert.key}.${notifier}`);
      if (at !== undefined) return { notifier, state: 'delivered' as const, at, detail: null };
      const held = status.held.find((candidate) => candidate.key === alert.key && candidate.notifier === notifier);
      if (held !== undefined) return { notifier, state: 'held' as const, at: held.heldAt, detail: `held by ${held.heldBy}` };
      const job = unsent.find((candidate) => candidate.key === alert.key && candidate.notifier === notifier);
      if (job !== undefined) {
        const detail = job.lastError === null ? null : `${job.attempts} of ${job.maxAttempts} tries: ${job.lastError}`;
        return { notifier, state: job.state, at: job.lastTriedAt ?? job.queuedAt, detail };
      }
      if (status.inDigest.some((digest) => digest.notifier === notifier)) return { notifier, state: 'in-digest' as const, at: null, detail: 'gathered into the next digest' };
      return { notifier, state: 'unknown' as const, at: null, detail: null };
    }),
  };
}
