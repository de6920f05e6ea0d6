import { describe, expect, it } from 'vitest';
import { incidentOf, type Alert } from '../../src/alerts/alert.ts';
import { detectMonitorEvents, type CheckResult, type MonitorTracker } from '../../src/detection/detect-monitor-events.ts';
import { detectReminders } from '../../src/detection/detect-reminders.ts';
import { detectRunEvents, type DetectionSettings } from '../../src/detection/detect-run-events.ts';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import type { RunAttempt, RunState } from '../../src/portable/run-attempt.ts';

/*
 * Every alert of one incident names the same incident: its opening alert's key. PagerDuty pairs a trigger with its
 * resolve by it, and webhook receivers group by it, so a follow-up failure, a reminder or a recovery naming another
 * one would leave an incident open in PagerDuty forever.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const flow = { id: 42, name: 'Orders' };
const settings: DetectionSettings = { maxRuntime: 2 * HOUR, backfill: 24 * HOUR, sendOnResolved: true };

function attempt(id: number, state: RunState, createdAt: number): RunAttempt {
  const finished = state !== 'running' && state !== 'pending';
  return {
    id,
    flowId: flow.id,
    trigger: 'scheduled',
    state,
    createdAt,
    createdAtUnreadable: false,
    completedAt: finished ? createdAt + 5 * MIN : null,
    resources: [],
    errors: state === 'failed' ? [`error of ${id}`] : [],
    anomalies: [],
  };
}

/** Successive checks of one flow; each step lists the attempts Portable answers with at that time. */
function story(steps: Array<{ at: number; attempts: RunAttempt[] }>, repeatEvery: number | null = null): Alert[] {
  let state: FlowState = initialFlowState();
  const alerts: Alert[] = [];
  for (const step of steps) {
    const result = detectRunEvents({ flow, settings, attempts: step.attempts, state, now: step.at, checkpoint: step.at });
    const reminders = detectReminders({ flow, state: { ...result.state, reminders: state.reminders }, repeatEvery, now: step.at });
    alerts.push(...result.alerts, ...reminders.alerts);
    state = { ...result.state, reminders: reminders.reminders };
  }
  return alerts;
}

const incidents = (alerts: Alert[]) => alerts.map((alert) => `${alert.key} → ${incidentOf(alert)}`);

describe('the incident every alert names', () => {
  it('a failure, the failures after it, its reminder and its recovery all name the first failure', () => {
    const first = attempt(1, 'failed', NOW - HOUR);
    const second = attempt(2, 'failed', NOW + 10 * MIN);
    const fixed = attempt(3, 'succeeded', NOW + 3 * HOUR);
    const alerts = story(
      [
        { at: NOW, attempts: [first] },
        { at: NOW + 20 * MIN, attempts: [first, second] },
        { at: NOW + 2 * HOUR, attempts: [first, second] },
        { at: NOW + 4 * HOUR, attempts: [first, second, fixed] },
      ],
      HOUR,
    );
    expect(incidents(alerts)).toEqual([
      'f42-a1-failed → f42-a1-failed',
      'f42-a2-failed → f42-a1-failed',
      'f42-a1-failed-reminder-1 → f42-a1-failed',
      'f42-a3-recovered → f42-a1-failed',
    ]);
  });

  it('a stalled run that then fails stays one incident, named after the stall', () => {
    const running = attempt(7, 'running', NOW - 3 * HOUR);
    const failed = { ...running, state: 'failed' as const, completedAt: NOW + MIN, errors: ['timed out'] };
    const fixed = attempt(8, 'succeeded', NOW + HOUR);
    const alerts = story([
      { at: NOW, attempts: [running] },
      { at: NOW + 2 * MIN, attempts: [failed] },
      { at: NOW + 2 * HOUR, attempts: [failed, fixed] },
    ]);
    expect(incidents(alerts)).toEqual([
      'f42-a7-stalled → f42-a7-stalled',
      'f42-a7-failed → f42-a7-stalled',
      'f42-a8-recovered → f42-a7-stalled',
    ]);
  });

  it('an unknown outcome is an incident of its own', () => {
    const odd = { ...attempt(5, 'unrecognised', NOW - HOUR), unrecognised: 'disposition "cancelled"' };
    expect(incidents(story([{ at: NOW, attempts: [odd] }]))).toEqual(['f42-a5-unknown-outcome → f42-a5-unknown-outcome']);
  });

  it('a monitor error and its recovery name the same incident, and the next error a new one', () => {
    const subject = { scope: 'flow' as const, keyPrefix: 'f42', flow };
    const notFound: CheckResult = { ok: false, problem: 'not-found', message: 'flow 42 not found' };
    let tracker: MonitorTracker = { monitor: null, monitorIncidents: 0, failingSince: null };
    const alerts: Alert[] = [];
    for (const [at, result] of [[NOW, notFound], [NOW + MIN, { ok: true }], [NOW + 2 * MIN, notFound]] as const) {
      const out = detectMonitorEvents({ subject, tracker, result, now: at });
      alerts.push(...out.alerts);
      tracker = out.tracker;
    }
    expect(incidents(alerts)).toEqual([
      'f42-m1-monitor-error → f42-m1-monitor-error',
      'f42-m1-monitor-recovered → f42-m1-monitor-error',
      'f42-m2-monitor-error → f42-m2-monitor-error',
    ]);
  });
});
