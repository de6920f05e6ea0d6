import type { AlertKind, MonitorProblem } from '../alerts/alert.ts';
import type { CheckOutcome } from '../detection/flow-state.ts';
import type { AlertScope } from '../delivery/read-unsent-alerts.ts';

/**
 * What `portable-watch status` knows about each configured flow, as plain data read from Redis once: the table
 * and the JSON are both renderings of it, so they cannot disagree. Times are epoch ms.
 */
export interface StatusReport {
  /** When it was read; every relative time in the table is measured from here. */
  now: number;
  /** The account-wide incident (Portable rejected the token), if one is open. */
  account: MonitorStatus | null;
  /** With named accounts, each other account's open incident (the default one's is `account`). */
  otherAccounts?: Array<{ account: string; monitor: MonitorStatus }>;
  /** One per configured flow, in config order. */
  flows: FlowStatus[];
  /** Unsent alerts about no listed flow: account- and installation-wide ones, and flows this config no longer lists. */
  otherUnsentAlerts: OtherUnsentCount[];
}

export interface FlowStatus {
  id: number;
  /** The Portable account; absent for the default one. */
  account?: string;
  /** The config `name`, else the displayName Portable gave when an alert needed one; null when neither is known. */
  name: string | null;
  lastCheck: { at: number; outcome: CheckOutcome } | null;
  /** The last check that reached Portable and committed (what /metrics ages); absent or null before one. */
  lastSuccessAt?: number | null;
  /** Every attempt created before this has been seen; null before the first successful check. */
  checkpoint: number | null;
  /** When the flow's Job Scheduler runs next; null when it has none (no worker started with this config). */
  nextCheck: number | null;
  /** The open failed/stalled incident, ended by the next successful run. */
  runIncident: { kind: 'failed' | 'stalled'; since: number; attemptId: number; /** The first error of the attempt that opened it. */ error?: string } | null;
  /**
   * The latest failed run the worker has seen, alerted or not: a failure that had already recovered when watching
   * began is not alerted, and this is where it still shows.
   */
  lastFailure: { attemptId: number; at: number } | null;
  /** The flow cannot be checked (404, 403, transient errors that persist). */
  monitor: MonitorStatus | null;
  /**
   * An open missed-run incident: a run was expected at `expectedAt` and none came. `lastRunAt` is when the latest
   * run before the gap was created, null when none had been seen; `since` when the gap was detected. The next run
   * created ends it.
   */
  missed: { expectedAt: number; lastRunAt: number | null; since: number } | null;
  /** An open partial-load incident: `attemptId` loaded part of the data and ended at `since`; the next full load ends it. */
  partial: QualityStatus | null;
  /** An open volume-drop incident, opened like a partial one; the next success that loads its usual volume ends it. */
  volume: QualityStatus | null;
  /** The latest run the worker has seen, by creation; null until one is seen. `completedAt` null while it runs. */
  lastRun: { attemptId: number; createdAt: number; completedAt: number | null } | null;
  lastAlert: { kind: AlertKind; notifier: string; at: number; key: string } | null;
  /** This flow's alerts the notifications queue has not delivered, per notifier that has any, by notifier name. */
  unsentAlerts: UnsentCount[];
  /** Alerts a silence or a maintenance window holds (not sent; judged again when the hold ends), oldest first. */
  held: HeldStatus[];
  /** Alerts gathered into a notifier's next digest (a storm), per notifier that has any. */
  inDigest: Array<{ notifier: string; alerts: number }>;
  /** The last finished attempts, oldest first (at most 30): the status page's strip. */
  recentAttempts: RecentAttemptStatus[];
}

export interface RecentAttemptStatus {
  attemptId: number;
  outcome: 'succeeded' | 'failed' | 'ended' | 'unrecognised';
  createdAt: number;
  /** Null when Portable gave no end. */
  durationMs: number | null;
}

export interface HeldStatus {
  kind: AlertKind;
  key: string;
  notifier: string;
  heldAt: number;
  /** `silence s-1a2b3c4d ("reason")` or `maintenance window "name"`. */
  heldBy: string;
  /** When the hold ends (the silence or the window), as it was when the alert was held. */
  until: number;
}

export interface QualityStatus {
  attemptId: number;
  since: number;
}

/** Alerts for one notifier not delivered yet: before the first send, between retries, or given up. */
export interface UnsentCount {
  notifier: string;
  waiting: number;
  retrying: number;
  givenUp: number;
}

export interface OtherUnsentCount extends UnsentCount {
  scope: AlertScope;
  /** For a flow this config does not list; null for account- and installation-wide alerts. */
  flow: { id: number; name: string; account?: string } | null;
}

export interface MonitorStatus {
  problem: MonitorProblem;
  message: string;
  since: number;
  /**
   * False while a transient problem is inside its grace period: checks fail but nobody was alerted, and none
   * will be if the next check succeeds. Such a monitor state is not counted as an open incident.
   */
  alerted: boolean;
}

/**
 * Flows (and the account) with an incident someone was alerted about and that has not recovered: a flow counts once,
 * however many of its incidents are open.
 */
export function countOpenIncidents(report: StatusReport): number {
  const flows = report.flows.filter(hasOpenIncident).length;
  return flows + (report.account?.alerted === true ? 1 : 0);
}

function hasOpenIncident(flow: FlowStatus): boolean {
  return flow.runIncident !== null || flow.missed !== null || flow.partial !== null || flow.volume !== null || flow.monitor?.alerted === true;
}

/** Unsent alerts of every flow and of the rest, by state. */
export function totalUnsentAlerts(report: StatusReport): Omit<UnsentCount, 'notifier'> {
  const total = { waiting: 0, retrying: 0, givenUp: 0 };
  for (const count of [...report.flows.flatMap((flow) => flow.unsentAlerts), ...report.otherUnsentAlerts]) {
    total.waiting += count.waiting;
    total.retrying += count.retrying;
    total.givenUp += count.givenUp;
  }
  return total;
}
