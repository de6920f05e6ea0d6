import { alertKeyPrefix, type Alert, type AlertAttempt, type MissedRuns } from '../alerts/alert.ts';
import type { MaintenanceWindow } from '../maintenance/maintenance-types.ts';
import { pausedMs } from '../maintenance/maintenance-windows.ts';
import { describeSchedule, findMissedRuns, type MissedSlots } from './expected-runs.ts';
import type { FlowState, LastRun, MissedIncident } from './flow-state.ts';
import type { Schedule } from './schedule.ts';

/**
 * Missed runs: a flow expected to run (its own `schedule:`, or Portable's cron or frequency) that created no
 * attempt within an expected run's time plus `missedAfter`. One incident per gap, however many runs it misses; the
 * next attempt created ends it. Pure, like the rest of detection.
 */

export interface MissedRunInput {
  flow: Alert['flow'];
  /** Undefined: no expectation (a manual flow, `schedule: none`, a schedule not known yet, `missed` not detected). */
  schedule: Schedule | undefined;
  missedAfter: number | undefined;
  /** The flow's maintenance windows: time inside them does not run the grace clock. */
  maintenance?: readonly MaintenanceWindow[];
  sendOnResolved: boolean;
  /** The state before this check, and the latest run after reading this check's answer. */
  state: Pick<FlowState, 'missed' | 'watchingSince'>;
  lastRun: LastRun | null;
  /** The attempt that ended the gap, when this answer holds one: the first created after the gap began. */
  firstRunAfterGap: ((lastRunAt: number | null) => AlertAttempt | undefined);
  /** Whether an attempt is still unfinished: a running flow is not missing its runs (stalled is the rule for that). */
  running: boolean;
  now: number;
}

export function detectMissedRuns(input: MissedRunInput): { alerts: Alert[]; missed: MissedIncident | null } {
  const { flow, schedule, now } = input;
  const open = input.state.missed;
  if (open !== null) {
    const next = input.firstRunAfterGap(open.lastRunAt);
    if (next !== undefined) {
      const recovered: Alert = {
        key: `${missedKey(flow, open.expectedAt)}-recovered`,
        kind: 'recovered',
        incident: missedKey(flow, open.expectedAt),
        flow,
        attempt: next,
        resolves: { kind: 'missed', since: open.since, expectedAt: open.expectedAt },
        detectedAt: now,
      };
      return { alerts: input.sendOnResolved ? [recovered] : [], missed: null };
    }
    // No expectation any more (the schedule went manual, `missed` was switched off): the gap is no longer news.
    return { alerts: [], missed: schedule === undefined ? null : open };
  }
  if (schedule === undefined || input.running) return { alerts: [], missed: null };
  const lastRun = input.lastRun;
  // A run that ended after its next slot still counts as that slot's: Portable does not start a flow while it runs.
  const since = lastRun === null ? input.state.watchingSince : Math.max(lastRun.createdAt, lastRun.completedAt ?? lastRun.createdAt);
  if (since === null) return { alerts: [], missed: null };
  const gap = findGap(schedule, since, now, input.missedAfter, input.maintenance ?? []);
  if (gap === undefined) return { alerts: [], missed: null };
  const lastRunAt = lastRun?.createdAt ?? null;
  const facts: MissedRuns = {
    lastRunAt,
    since,
    expectedAt: gap.expectedAt,
    slots: gap.slots,
    ...(gap.slotsCapped ? { slotsCapped: true } : {}),
    graceMs: gap.graceMs,
    schedule: describeSchedule(schedule),
  };
  const alert: Alert = { key: missedKey(flow, gap.expectedAt), kind: 'missed', flow, missed: facts, detectedAt: now };
  return { alerts: [alert], missed: { expectedAt: gap.expectedAt, lastRunAt, since: now, facts } };
}

/**
 * The gap, with time inside maintenance windows taken off the grace clock: a slot expected at E is missed once
 * (now - E) - pausedMs(E, now) reaches the grace, which is findMissedRuns asked at now - pausedMs(E, now). Slots
 * are counted up to that same moment, as if the clock had stood still in the windows. Windows only ever delay
 * the answer, so a flow whose run is not overdue even without them (and a flow without windows) costs no more.
 */
function findGap(schedule: Schedule, since: number, now: number, missedAfter: number | undefined, windows: readonly MaintenanceWindow[]): MissedSlots | undefined {
  const grace = missedAfter === undefined ? {} : { missedAfter };
  const gap = findMissedRuns(schedule, { since, now, ...grace });
  if (gap === undefined || windows.length === 0) return gap;
  const paused = pausedMs(windows, gap.expectedAt, now);
  return paused === 0 ? gap : findMissedRuns(schedule, { since, now: now - paused, ...grace });
}

export function missedKey(flow: Pick<Alert['flow'], 'id' | 'account'>, expectedAt: number): string {
  return `${alertKeyPrefix(flow)}-missed-${expectedAt}`;
}
