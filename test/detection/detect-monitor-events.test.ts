import { describe, expect, it } from 'vitest';
import { detectMonitorEvents, TRANSIENT_GRACE_MS, type CheckResult, type MonitorTracker } from '../../src/detection/detect-monitor-events.ts';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const MIN = 60_000;
const subject = { scope: 'flow' as const, keyPrefix: 'f42', flow: { id: 42, name: 'Orders' } };
const fresh: MonitorTracker = { monitor: null, monitorIncidents: 0, failingSince: null };

function run(steps: Array<{ at: number; result: CheckResult }>, tracker = fresh) {
  const kinds: string[][] = [];
  for (const step of steps) {
    const out = detectMonitorEvents({ subject, tracker, result: step.result, now: step.at });
    kinds.push(out.alerts.map((alert) => `${alert.kind}:${alert.key}`));
    tracker = out.tracker;
  }
  return { kinds, tracker };
}

const transient: CheckResult = { ok: false, problem: 'transient', message: 'Portable answered 503' };
const notFound: CheckResult = { ok: false, problem: 'not-found', message: 'flow 42 not found' };

describe('detectMonitorEvents', () => {
  it.each(['not-found', 'unauthorized', 'forbidden', 'bad-request'] as const)('%s alerts at once, once', (problem) => {
    const result: CheckResult = { ok: false, problem, message: problem };
    const { kinds } = run([{ at: NOW, result }, { at: NOW + MIN, result }]);
    expect(kinds).toEqual([[`monitor-error:f42-m1-monitor-error`], []]);
  });

  it('transient errors alert only once they persist past the grace period', () => {
    const { kinds } = run([
      { at: NOW, result: transient },
      { at: NOW + TRANSIENT_GRACE_MS - 1, result: transient },
      { at: NOW + TRANSIENT_GRACE_MS, result: transient },
      { at: NOW + TRANSIENT_GRACE_MS + MIN, result: transient },
    ]);
    expect(kinds).toEqual([[], [], ['monitor-error:f42-m1-monitor-error'], []]);
  });

  it('a transient blip that clears before the grace period says nothing', () => {
    const { kinds, tracker } = run([{ at: NOW, result: transient }, { at: NOW + MIN, result: { ok: true } }]);
    expect(kinds).toEqual([[], []]);
    expect(tracker).toEqual({ monitor: null, monitorIncidents: 1, failingSince: null });
  });

  it('counts a transient incident that lasts several checks once', () => {
    const { kinds, tracker } = run([
      { at: NOW, result: transient },
      { at: NOW + MIN, result: transient },
      { at: NOW + 2 * MIN, result: { ok: true } },
      { at: NOW + 3 * MIN, result: notFound },
    ]);
    expect(kinds).toEqual([[], [], [], ['monitor-error:f42-m2-monitor-error']]);
    expect(tracker.monitorIncidents).toBe(2);
  });

  it('announces the recovery once, and numbers the next incident anew', () => {
    const { kinds } = run([
      { at: NOW, result: notFound },
      { at: NOW + MIN, result: { ok: true } },
      { at: NOW + 2 * MIN, result: { ok: true } },
      { at: NOW + 3 * MIN, result: notFound },
    ]);
    expect(kinds).toEqual([
      ['monitor-error:f42-m1-monitor-error'],
      ['monitor-recovered:f42-m1-monitor-recovered'],
      [],
      ['monitor-error:f42-m2-monitor-error'],
    ]);
  });

  it('a transient incident that turns into a 404 alerts at once with the 404', () => {
    const out = detectMonitorEvents({ subject, tracker: fresh, result: transient, now: NOW });
    const next = detectMonitorEvents({ subject, tracker: out.tracker, result: notFound, now: NOW + MIN });
    expect(next.alerts).toHaveLength(1);
    expect(next.alerts[0]?.monitor).toMatchObject({ problem: 'not-found', since: NOW, scope: 'flow' });
  });
});
