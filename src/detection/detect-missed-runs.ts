import type { Alert, AlertAttempt } from '../alerts/alert.ts';
import { describeSchedule, findMissedRuns } from './expected-runs.ts';
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
        key: `${missedKey(flow.id, open.expectedAt)}-recovered`,
        kind: 'recovered',
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
  const gap = findMissedRuns(schedule, { since, now, ...(input.missedAfter === undefined ? {} : { missedAfter: input.missedAfter }) });
  if (gap === undefined) return { alerts: [], missed: null };
  const lastRunAt = lastRun?.createdAt ?? null;
  const alert: Alert = {
    key: missedKey(flow.id, gap.expectedAt),
    kind: 'missed',
    flow,
    missed: {
      lastRunAt,
      since,
      expectedAt: gap.expectedAt,
      slots: gap.slots,
      ...(gap.slotsCapped ? { slotsCapped: true } : {}),
      graceMs: gap.graceMs,
      schedule: describeSchedule(schedule),
    },
    detectedAt: now,
  };
  return { alerts: [alert], missed: { expectedAt: gap.expectedAt, lastRunAt, since: now } };
}

function missedKey(flowId: number, expectedAt: number): string {
  return `f${flowId}-missed-${expectedAt}`;
}
