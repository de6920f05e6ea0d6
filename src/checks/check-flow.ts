import type { Logger } from 'pino';
import type { Alert, MonitorProblem } from '../alerts/alert.ts';
import { detectMonitorEvents, type CheckResult } from '../detection/detect-monitor-events.ts';
import { detectRunEvents, fetchWindowStart, type DetectionSettings } from '../detection/detect-run-events.ts';
import type { FlowState } from '../detection/flow-state.ts';
import { PortableApiError } from '../portable/portable-error.ts';
import type { RunAttempt } from '../portable/run-attempt.ts';
import type { FlowStateStore } from '../state/flow-state-store.ts';

/** The part of the Portable client a check uses. */
export interface CheckClient {
  listRunAttempts(
    flowId: number,
    options: { since?: number; signal?: AbortSignal },
  ): Promise<{ attempts: RunAttempt[]; requests: number; anomalies: string[] }>;
  getFlow(flowId: number, options?: { signal?: AbortSignal }): Promise<{ displayName?: string | undefined }>;
}

/** Where alerts go: durable once the promise resolves (the notification queue). */
export interface AlertSink {
  enqueue(alerts: ReadonlyArray<{ alert: Alert; notifiers: readonly string[] }>): Promise<void>;
}

export interface CheckDependencies {
  client: CheckClient;
  store: FlowStateStore;
  sink: AlertSink;
  now: () => number;
  log: Logger;
  /** Identifies this process in per-flow locks. */
  owner: string;
}

export interface CheckTarget extends DetectionSettings {
  id: number;
  name?: string | undefined;
  notify: readonly string[];
  url?: string | undefined;
  /** Who hears about account-wide problems (a rejected token): every notifier any flow uses. */
  accountNotifiers: readonly string[];
}

export type CheckReport =
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'ok' | 'alerted'; alerts: Alert[]; requests: number; anomalies: string[]; committed: boolean }
  | { outcome: 'error'; alerts: Alert[]; problem: MonitorProblem; message: string; committed: boolean };

/**
 * The lease is short and renewed while the check runs, so a worker killed mid-check (SIGKILL, OOM) blocks the
 * flow for seconds, not minutes. A check that loses its lease anyway is kept harmless by the version check on commit.
 */
const LOCK_TTL_MS = 10_000;
const LOCK_RENEW_MS = 3_000;

/**
 * One check of one flow: read what changed since the checkpoint, detect, queue the alerts, then move the
 * checkpoint. The checkpoint moves only after the alerts are durably queued, so a crash between the two repeats
 * the check — whose alerts carry the same ids and are not queued twice — but never loses an alert.
 */
export async function checkFlow(
  deps: CheckDependencies,
  target: CheckTarget,
  options: { signal?: AbortSignal; dryRun?: boolean } = {},
): Promise<CheckReport> {
  const dryRun = options.dryRun === true;
  if (!dryRun && !(await deps.store.lock(target.id, deps.owner, LOCK_TTL_MS))) {
    return { outcome: 'skipped', reason: 'another check of this flow is in progress' };
  }
  const renew = dryRun
    ? undefined
    : setInterval(() => {
        deps.store.extendLock(target.id, deps.owner, LOCK_TTL_MS).catch((error: unknown) => {
          deps.log.warn({ flowId: target.id, err: error }, 'could not renew the check lock');
        });
      }, LOCK_RENEW_MS);
  try {
    return await checkLocked(deps, target, options.signal, dryRun);
  } finally {
    clearInterval(renew);
    if (!dryRun) await deps.store.unlock(target.id, deps.owner);
  }
}

async function checkLocked(deps: CheckDependencies, target: CheckTarget, signal: AbortSignal | undefined, dryRun: boolean): Promise<CheckReport> {
  const state = await deps.store.load(target.id);
  const startedAt = deps.now();
  const flow = { id: target.id, name: target.name ?? String(target.id), ...(target.url === undefined ? {} : { url: target.url }) };

  let fetched: Awaited<ReturnType<CheckClient['listRunAttempts']>>;
  try {
    fetched = await deps.client.listRunAttempts(target.id, { since: fetchWindowStart(state, target, startedAt), ...(signal ? { signal } : {}) });
  } catch (error) {
    if (!(error instanceof PortableApiError) || error.kind === 'aborted') throw error;
    return failedCheck(deps, target, state, { ok: false, problem: error.kind, message: error.message }, dryRun);
  }

  const now = deps.now();
  const runs = detectRunEvents({ flow, settings: target, attempts: fetched.attempts, state, now });
  const monitor = detectMonitorEvents({ subject: flowSubject(flow), tracker: runs.state, result: { ok: true }, now });
  let next: FlowState = { ...monitor.tracker, lastCheck: { at: now, outcome: 'ok' }, lastSuccessAt: now };
  let alerts = [...runs.alerts, ...monitor.alerts];
  if (alerts.length > 0) {
    next = { ...next, displayName: await displayName(deps, target, state, signal), lastCheck: { at: now, outcome: 'alerted' } };
    const name = target.name ?? next.displayName ?? String(target.id);
    alerts = alerts.map((alert) => ({ ...alert, flow: { ...alert.flow, name } }));
  }
  const committed = dryRun ? false : await commit(deps, target, state, next, alerts, target.notify);
  if (!dryRun) await settleAccount(deps, target, flow, { ok: true });
  return { outcome: alerts.length > 0 ? 'alerted' : 'ok', alerts, requests: fetched.requests, anomalies: fetched.anomalies, committed };
}

async function failedCheck(
  deps: CheckDependencies,
  target: CheckTarget,
  state: FlowState,
  result: Extract<CheckResult, { ok: false }>,
  dryRun: boolean,
): Promise<CheckReport> {
  const now = deps.now();
  const flow = { id: target.id, name: target.name ?? state.displayName ?? String(target.id), ...(target.url === undefined ? {} : { url: target.url }) };
  // A rejected token is the account's problem, alerted once for all flows, not once per flow.
  const accountWide = result.problem === 'unauthorized';
  const monitor = accountWide
    ? { alerts: [], tracker: state }
    : detectMonitorEvents({ subject: flowSubject(flow), tracker: state, result, now });
  const next: FlowState = { ...monitor.tracker, lastCheck: { at: now, outcome: 'error' } };
  let alerts = monitor.alerts;
  let committed = false;
  if (!dryRun) {
    committed = await commit(deps, target, state, next, alerts, target.notify);
    if (accountWide) alerts = await settleAccount(deps, target, flow, result);
  }
  deps.log.warn({ flowId: target.id, problem: result.problem, err: result.message }, 'check failed');
  return { outcome: 'error', alerts, problem: result.problem, message: result.message, committed };
}

async function commit(
  deps: CheckDependencies,
  target: CheckTarget,
  state: FlowState,
  next: FlowState,
  alerts: Alert[],
  notifiers: readonly string[],
): Promise<boolean> {
  if (alerts.length > 0) await deps.sink.enqueue(alerts.map((alert) => ({ alert, notifiers })));
  const committed = await deps.store.commit(target.id, state.version, next);
  if (!committed) deps.log.info({ flowId: target.id }, 'another check committed first; its result stands');
  return committed;
}

/** Opens or closes the account-wide incident (401), alerting every notifier once. */
async function settleAccount(deps: CheckDependencies, target: CheckTarget, flow: Alert['flow'], result: CheckResult): Promise<Alert[]> {
  const account = await deps.store.loadAccount();
  if (result.ok && account.monitor === null && account.failingSince === null) return [];
  const subject = { scope: 'account' as const, keyPrefix: 'account', flow };
  const { alerts, tracker } = detectMonitorEvents({ subject, tracker: account, result, now: deps.now() });
  if (alerts.length > 0) await deps.sink.enqueue(alerts.map((alert) => ({ alert, notifiers: target.accountNotifiers })));
  await deps.store.commitAccount(account.version, tracker);
  return alerts;
}

function flowSubject(flow: Alert['flow']) {
  return { scope: 'flow' as const, keyPrefix: `f${flow.id}`, flow };
}

async function displayName(deps: CheckDependencies, target: CheckTarget, state: FlowState, signal: AbortSignal | undefined) {
  if (target.name !== undefined || state.displayName !== null) return state.displayName;
  try {
    const found = await deps.client.getFlow(target.id, signal ? { signal } : {});
    return found.displayName ?? null;
  } catch (error) {
    deps.log.warn({ flowId: target.id, err: error instanceof Error ? error.message : String(error) }, 'flow name lookup failed');
    return null;
  }
}
