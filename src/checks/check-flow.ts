import { DEFAULT_ACCOUNT, flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import type { Logger } from 'pino';
import { alertKeyPrefix, DEFAULT_SEVERITY, routeKindOf, type Alert, type MonitorProblem } from '../alerts/alert.ts';
import { detectMonitorEvents, type CheckResult } from '../detection/detect-monitor-events.ts';
import { detectRunEvents, fetchWindowStart, type DetectionSettings } from '../detection/detect-run-events.ts';
import { detectReminders } from '../detection/detect-reminders.ts';
import { resolveSchedule } from '../detection/expected-runs.ts';
import type { FlowState } from '../detection/flow-state.ts';
import type { PortableSchedule, ScheduleSetting } from '../detection/schedule.ts';
import type { FlowRouting } from '../routing/route-types.ts';
import type { Anomaly } from '../portable/anomaly.ts';
import { MAX_PAGE_SIZE } from '../portable/list-run-attempts.ts';
import { PortableApiError } from '../portable/portable-error.ts';
import type { RunAttempt } from '../portable/run-attempt.ts';
import { isConnectionError } from '../redis/outage-log.ts';
import type { AccountState, FlowStateStore } from '../state/flow-state-store.ts';
import { WORKER_CLOCK, type PortableClock } from './portable-clock.ts';

/** The part of the Portable client a check uses. */
export interface CheckClient {
  listRunAttempts(
    flowId: number,
    options: { since?: number; pageSize?: number; signal?: AbortSignal },
  ): Promise<{ attempts: RunAttempt[]; requests: number; anomalies: Anomaly[] }>;
  getFlow(flowId: number, options?: { signal?: AbortSignal }): Promise<{ displayName?: string | undefined }>;
}

/** Where alerts go: durable once the promise resolves (the notification queue). */
export interface AlertSink {
  /** `jobSuffix` makes another job of an alert already queued once (one released from a silence). */
  enqueue(alerts: ReadonlyArray<{ alert: Alert; notifiers: readonly string[]; jobSuffix?: string }>): Promise<void>;
}

export interface CheckDependencies {
  client: CheckClient;
  store: FlowStateStore;
  sink: AlertSink;
  now: () => number;
  /** The check adds the flow's id to every line it logs. */
  log: Logger;
  /** Identifies this process in per-flow locks. */
  owner: string;
  /** Portable's clock, learned from its answers; default the worker's own. */
  clock?: PortableClock;
  /** Told when a check finds that Redis lost the installation's state (the marker is gone or another one). */
  onStateMoved?: () => void;
}

export interface CheckTarget extends DetectionSettings {
  id: number;
  /** The Portable account the flow belongs to (its token, its account incident, its keys). */
  account: string;
  /** Whether alerts name the account: when the installation watches more than one. */
  showAccount?: boolean | undefined;
  /**
   * Found by `discover:` rather than listed: a 404 then most likely means the flow was deleted, which the next
   * discovery drops without a word; it is an error only if it lasts (transient), not at once.
   */
  discovered?: boolean | undefined;
  /** The flow's own expectation (`schedule:`); absent: Portable's. */
  schedule?: ScheduleSetting | undefined;
  /** Where Portable's cron and the flow's own are read; default UTC. */
  scheduleTimezone?: string | undefined;
  name?: string | undefined;
  /** Where each kind of alert goes (routes and the flow's notify), with its severity; absent: `notify`, by kind. */
  routing?: FlowRouting | undefined;
  notify: readonly string[];
  /** The flow's labels, carried by its alerts (silences and maintenance windows match on them). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** A reminder per interval while an incident stays open; null or absent: none. */
  repeatEvery?: number | null | undefined;
  url?: string | undefined;
  /** Who hears about account-wide problems (a rejected token): every notifier any flow uses. */
  accountNotifiers: readonly string[];
}

export type CheckReport =
  | { outcome: 'skipped'; reason: string }
  | {
      outcome: 'ok' | 'alerted';
      alerts: Alert[];
      requests: number;
      /** Everything odd in the answer; `newAnomalies` only what this flow's checks had not reported before. */
      anomalies: Anomaly[];
      newAnomalies: Anomaly[];
      committed: boolean;
    }
  | { outcome: 'error'; alerts: Alert[]; problem: MonitorProblem; message: string; committed: boolean };

/**
 * The lease is short and renewed while the check runs, so a worker killed mid-check (SIGKILL, OOM) blocks the
 * flow for seconds, not minutes. A check that loses its lease anyway is kept harmless by the version check on commit.
 */
const LOCK_TTL_MS = 10_000;
const LOCK_RENEW_MS = 3_000;
/** How long a check waits for a lease another check holds: LEASE_WAITS times LEASE_WAIT_MS. */
const LEASE_WAITS = 15;
const LEASE_WAIT_MS = 100;

/**
 * One check of one flow: read what changed since the checkpoint, detect, queue the alerts, then move the
 * checkpoint. The checkpoint moves only after the alerts are durably queued, so a crash between the two repeats
 * the check — whose alerts carry the same ids and are not queued twice — but never loses an alert.
 */
export async function checkFlow(
  dependencies: CheckDependencies,
  target: CheckTarget,
  options: { signal?: AbortSignal; dryRun?: boolean } = {},
): Promise<CheckReport> {
  // Bound once here, so no line of the check names the flow twice (a child's bindings and the call's fields add up).
  const key = flowKeyOf(target);
  const deps = { ...dependencies, log: dependencies.log.child(target.account === DEFAULT_ACCOUNT ? { flowId: target.id } : { account: target.account, flowId: target.id }) };
  const dryRun = options.dryRun === true;
  if (dryRun) {
    const [state, account, portableSchedule] = await Promise.all([deps.store.load(key), deps.store.loadAccount(target.account), deps.store.loadSchedule(key)]);
    return checkLocked(deps, target, { state, account, portableSchedule, dryRun, released: true }, options.signal);
  }
  const begun = await beginWhenFree(deps, key, target.account, options.signal);
  if (begun.outcome === 'busy') return { outcome: 'skipped', reason: 'another check of this flow is in progress' };
  if (begun.outcome === 'moved') {
    // On an empty Redis this check would take the flow for new and alert its history again: heal first.
    deps.onStateMoved?.();
    return { outcome: 'skipped', reason: 'Redis lost its state since this worker last looked; restoring it first' };
  }
  if (begun.outcome === 'settling') return { outcome: 'skipped', reason: "waiting for replicas to restore what Redis lost" };
  const run: CheckRun = { state: begun.state, account: begun.account, portableSchedule: begun.portableSchedule, dryRun, released: false };
  const renew = setInterval(() => {
    deps.store.extendLock(key, deps.owner, LOCK_TTL_MS).catch((error: unknown) => {
      // Redis away: the connection tells the outage once; a line per check in flight every few seconds would not.
      if (isConnectionError(error)) deps.log.debug({ err: error }, 'could not renew the check lock');
      else deps.log.warn({ err: error }, 'could not renew the check lock');
    });
  }, LOCK_RENEW_MS);
  try {
    return await checkLocked(deps, target, run, options.signal);
  } finally {
    clearInterval(renew);
    // The commit gives the lease back in the same round trip; only a check that never committed releases it here.
    if (!run.released) await deps.store.unlock(key, deps.owner);
  }
}

/**
 * A check that finds the flow's lease taken waits a moment for it: another check usually finishes within
 * milliseconds (a flow's first check running into its first scheduled one), and this one then reads what that
 * one committed — so the interval still gets its check. A lease still held after the wait belongs to a slow or
 * dead check; the next interval's check tries again.
 */
async function beginWhenFree(deps: CheckDependencies, flow: FlowKey, account: string, signal: AbortSignal | undefined) {
  for (let attempt = 0; ; attempt += 1) {
    const begun = await deps.store.begin(flow, account, deps.owner, LOCK_TTL_MS, deps.now());
    if (begun.outcome !== 'busy' || attempt >= LEASE_WAITS || signal?.aborted === true) return begun;
    await new Promise((resolve) => setTimeout(resolve, LEASE_WAIT_MS));
  }
}

/** What a check read when it began, and whether it still holds the flow's lease. */
interface CheckRun {
  state: FlowState;
  account: AccountState;
  /** As the schedule refresh last read it from Portable; undefined when it has not. */
  portableSchedule: PortableSchedule | undefined;
  dryRun: boolean;
  released: boolean;
}

async function checkLocked(deps: CheckDependencies, target: CheckTarget, run: CheckRun, signal: AbortSignal | undefined): Promise<CheckReport> {
  const { state, dryRun } = run;
  const clock = deps.clock ?? WORKER_CLOCK;
  // The checkpoint is taken before the first request: whatever Portable creates while this check runs (however long
  // its pages and retries take) lies inside the next check's window.
  const checkpoint = clock.toPortable(deps.now());
  const flow = flowIdentity(target, target.name ?? String(target.id));

  let fetched: Awaited<ReturnType<CheckClient['listRunAttempts']>>;
  try {
    const since = fetchWindowStart(state, target, checkpoint);
    // A first check reads back as far as unfinished runs are followed, and history to learn from: in big pages, once.
    const pageSize = state.checkpoint === null || state.historySince === null ? MAX_PAGE_SIZE : undefined;
    fetched = await deps.client.listRunAttempts(target.id, { since, ...(pageSize ? { pageSize } : {}), ...(signal ? { signal } : {}) });
  } catch (error) {
    if (!(error instanceof PortableApiError) || error.kind === 'aborted') throw error;
    return failedCheck(deps, target, run, { ok: false, problem: error.kind, message: error.message });
  }

  const now = deps.now();
  const schedule = resolveSchedule(target.schedule, run.portableSchedule, target.scheduleTimezone ?? 'UTC');
  const runs = detectRunEvents({ flow, settings: target, attempts: fetched.attempts, state, now: clock.toPortable(now), checkpoint, schedule });
  const monitor = detectMonitorEvents({ subject: flowSubject(flow), tracker: runs.state, result: { ok: true }, now });
  const reminded = detectReminders({ flow, state: monitor.tracker, repeatEvery: target.repeatEvery ?? null, now });
  let next: FlowState = { ...monitor.tracker, reminders: reminded.reminders, lastCheck: { at: now, outcome: 'ok' }, lastSuccessAt: now };
  let alerts = [...runs.alerts, ...monitor.alerts, ...reminded.alerts];
  if (alerts.length > 0) {
    next = { ...next, displayName: await displayName(deps, target, state, signal), lastCheck: { at: now, outcome: 'alerted' } };
    const name = target.name ?? next.displayName ?? String(target.id);
    alerts = alerts.map((alert) => ({ ...alert, flow: { ...alert.flow, name } }));
  }
  const newAnomalies = reportAnomalies(deps, state, fetched.anomalies);
  const committed = dryRun ? false : await commit(deps, target, run, next, alerts);
  if (!dryRun) await settleAccount(deps, target, run, flow, { ok: true });
  const outcome = alerts.length > 0 ? 'alerted' : 'ok';
  return { outcome, alerts, requests: fetched.requests, anomalies: fetched.anomalies, newAnomalies, committed };
}

/**
 * Anomalies of an attempt are logged (warn) the first time a check of this flow meets the attempt, and those of
 * a page (paging cut short) each time: loud enough to be seen, not once per check for as long as Portable sends it.
 */
function reportAnomalies(deps: CheckDependencies, state: FlowState, anomalies: readonly Anomaly[]): Anomaly[] {
  const fresh = anomalies.filter((found) => found.attemptId === undefined || state.known[String(found.attemptId)] === undefined);
  for (const found of fresh) deps.log.warn({ kind: found.kind, anomaly: found.message }, "Portable's answer had something unexpected");
  return fresh;
}

async function failedCheck(deps: CheckDependencies, target: CheckTarget, run: CheckRun, found: Extract<CheckResult, { ok: false }>): Promise<CheckReport> {
  const { state, dryRun } = run;
  const result = target.discovered === true && found.problem === 'not-found' ? { ...found, problem: 'transient' as const } : found;
  const now = deps.now();
  const flow = flowIdentity(target, target.name ?? state.displayName ?? String(target.id));
  // A rejected token is the account's problem, alerted once for all flows, not once per flow.
  const accountWide = result.problem === 'unauthorized';
  const monitor = accountWide
    ? { alerts: [], tracker: state }
    : detectMonitorEvents({ subject: flowSubject(flow), tracker: state, result, now });
  // A flow that cannot be checked still gets its reminders: of the monitor error, and of what was open before.
  const reminded = detectReminders({ flow, state: monitor.tracker, repeatEvery: target.repeatEvery ?? null, now });
  const next: FlowState = { ...monitor.tracker, reminders: reminded.reminders, lastCheck: { at: now, outcome: 'error' } };
  let alerts = [...monitor.alerts, ...reminded.alerts];
  let committed = false;
  if (!dryRun) {
    committed = await commit(deps, target, run, next, alerts);
    if (accountWide) alerts = await settleAccount(deps, target, run, flow, result);
  }
  deps.log.warn({ problem: result.problem, err: result.message }, 'check failed');
  return { outcome: 'error', alerts, problem: result.problem, message: result.message, committed };
}

async function commit(deps: CheckDependencies, target: CheckTarget, run: CheckRun, next: FlowState, alerts: Alert[]): Promise<boolean> {
  if (alerts.length > 0) await deps.sink.enqueue(routeAlerts(target, alerts));
  const committed = await deps.store.commit(flowKeyOf(target), run.state.version, next, deps.owner);
  run.released = true;
  if (!committed) deps.log.info('another check committed first; its result stands');
  return committed;
}

/** Opens or closes the account-wide incident (401), alerting every notifier once. */
async function settleAccount(deps: CheckDependencies, target: CheckTarget, run: CheckRun, flow: Alert['flow'], result: CheckResult): Promise<Alert[]> {
  // The common case, a good answer and no account incident, is decided on what the check read when it began.
  // failingSince is set whenever an incident is open (detectMonitorEvents sets and clears both together).
  const quiet = (account: AccountState) => result.ok && account.failingSince === null;
  if (quiet(run.account)) return [];
  const account = await deps.store.loadAccount(target.account);
  if (quiet(account)) return [];
  // The default account keeps the alert keys of versions before accounts: an incident open before an upgrade ends.
  const subject = { scope: 'account' as const, keyPrefix: target.account === DEFAULT_ACCOUNT ? 'account' : `account-${target.account}`, flow };
  const now = deps.now();
  const detected = detectMonitorEvents({ subject, tracker: account, result, now });
  const reminded = remindAccount(detected.tracker, target.repeatEvery ?? null, flow, now);
  const alerts = [...detected.alerts, ...reminded.alerts];
  if (alerts.length > 0) await deps.sink.enqueue(alerts.map((alert) => ({ alert, notifiers: target.accountNotifiers })));
  await deps.store.commitAccount(target.account, account.version, reminded.tracker);
  return alerts;
}

/** One delivery per destination, each alert carrying the severity its route gives it. */
function routeAlerts(target: CheckTarget, alerts: readonly Alert[]): Array<{ alert: Alert; notifiers: string[] }> {
  return alerts.flatMap((alert) => {
    const kind = routeKindOf(alert);
    if (kind === undefined) return [{ alert, notifiers: [...target.notify] }];
    const destinations = target.routing?.[kind] ?? target.notify.map((notifier) => ({ notifier, severity: DEFAULT_SEVERITY[kind] }));
    return destinations.map(({ notifier, severity }) => ({ alert: { ...alert, severity }, notifiers: [notifier] }));
  });
}

function flowIdentity(target: CheckTarget, name: string): Alert['flow'] {
  return {
    id: target.id,
    name,
    // Another account than the default one is part of the flow's identity (its alert keys); shown or not.
    ...(target.account !== DEFAULT_ACCOUNT || target.showAccount === true ? { account: target.account } : {}),
    ...(target.url === undefined ? {} : { url: target.url }),
    ...(target.labels === undefined || Object.keys(target.labels).length === 0 ? {} : { labels: { ...target.labels } }),
  };
}

/**
 * Reminders of the account's incident (a rejected token), as `detectReminders` gives a flow's: once per `repeatEvery`
 * of the flow whose check finds it still open, the first a whole interval after the alert that opened it.
 */
function remindAccount(tracker: AccountState, repeatEvery: number | null, flow: Alert['flow'], now: number): { alerts: Alert[]; tracker: AccountState } {
  const monitor = tracker.monitor;
  if (repeatEvery === null || monitor?.alerted !== true) return { alerts: [], tracker: { ...tracker, reminder: null } };
  const reminder = tracker.reminder ?? null;
  if (reminder === null || reminder.key !== monitor.key) return { alerts: [], tracker: { ...tracker, reminder: { key: monitor.key, sent: 0, lastAt: now } } };
  if (now - reminder.lastAt < repeatEvery) return { alerts: [], tracker };
  const number = reminder.sent + 1;
  const alert: Alert = {
    key: `${monitor.key}-monitor-error-reminder-${number}`,
    kind: 'monitor-error',
    incident: `${monitor.key}-monitor-error`,
    flow,
    monitor: { problem: monitor.problem, message: monitor.message, since: monitor.since, scope: 'account' },
    reminder: { number, since: monitor.since },
    detectedAt: now,
  };
  return { alerts: [alert], tracker: { ...tracker, reminder: { key: monitor.key, sent: number, lastAt: now } } };
}

function flowSubject(flow: Alert['flow']) {
  return { scope: 'flow' as const, keyPrefix: alertKeyPrefix(flow), flow };
}

async function displayName(deps: CheckDependencies, target: CheckTarget, state: FlowState, signal: AbortSignal | undefined) {
  if (target.name !== undefined || state.displayName !== null) return state.displayName;
  try {
    const found = await deps.client.getFlow(target.id, signal ? { signal } : {});
    return found.displayName ?? null;
  } catch (error) {
    deps.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'flow name lookup failed');
    return null;
  }
}
