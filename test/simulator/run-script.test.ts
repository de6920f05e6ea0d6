import { describe, expect, it } from 'vitest';
import { createFlowStore } from '../../src/simulator/flow-store.ts';
import type { RunPlan } from '../../src/simulator/plan-run.ts';
import { createRunScript, playRunScripts } from '../../src/simulator/run-script.ts';
import { MINUTE, NOW, useRunningSimulator } from './running-simulator.ts';

const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const hourly = (extra: Partial<RunPlan> = {}): RunPlan => ({
  schedule: { everyMs: HOUR, anchor: NOW },
  start: NOW - 30 * DAY,
  durationMs: 5 * MINUTE,
  resources: [{ name: 'events', rows: 1_800 }],
  ...extra,
});

describe('run scripts', () => {
  const running = useRunningSimulator();

  it('seeds 30 days of hourly history in milliseconds, served over HTTP page by page', async () => {
    running.simulator.addFlow({ id: 1, frequency: '1h' });
    const started = performance.now();
    const script = createRunScript(running.simulator, 1, hourly());
    script.advanceTo(NOW);
    const elapsed = performance.now() - started;
    expect(script.runs).toHaveLength(30 * 24 + 1);
    expect(elapsed).toBeLessThan(250);
    const since = new Date(NOW - DAY).toISOString();
    expect(await running.runIds(`/v2/flows/1/run?startTime=${since}&limit=1000`)).toHaveLength(25);
    const { data } = (await running.get('/v2/flows/1/run?limit=1000')).json() as { data: { disposition: string; resources: { loaded: number }[] }[] };
    expect(data).toHaveLength(721);
    // The newest, created at NOW, runs for minutes yet; every other one has finished with rows.
    expect(data[0]).toMatchObject({ lifecycle: 'running', disposition: 'none' });
    expect(data.slice(1).every((attempt) => attempt.disposition === 'succeeded' && attempt.resources[0]!.loaded > 0)).toBe(true);
  });

  // Budgets leave room for a loaded CI machine; unloaded, each takes a few milliseconds (cron: ~30 µs a slot in cron-parser).
  it.each([
    ['every 15 min', { everyMs: 15 * MINUTE, anchor: NOW }, 30 * 96 + 1],
    ['a cron, hourly', { cron: '0 * * * *' }, 30 * 24],
  ] as const)('seeds thousands of attempts straight into a flow store: %s for 30 days', (_name, schedule, slots) => {
    const store = createFlowStore(() => NOW);
    store.addFlow({ id: 2 });
    const started = performance.now();
    const script = createRunScript(store, 2, hourly({ schedule }));
    script.advanceTo(NOW);
    expect(performance.now() - started).toBeLessThan(750);
    expect(script.runs).toHaveLength(slots);
    expect(store.queryAttempts(2, { sort: 'asc', offset: 0, limit: Number.POSITIVE_INFINITY })).toHaveLength(slots);
  });

  it('creates a run at its slot, running, and finishes it when its time is up', () => {
    running.simulator.addFlow({ id: 3 });
    const script = createRunScript(running.simulator, 3, hourly({ start: NOW, faults: [{ kind: 'partial', error: 'rows rejected' }] }));
    expect(script.advanceTo(NOW - 1)).toBe(NOW);
    expect(script.runs).toEqual([]);
    const next = script.advanceTo(NOW);
    const [{ attemptId, run }] = script.runs as [(typeof script.runs)[number]];
    expect(next).toBe(run.completedAt);
    expect(running.simulator.getAttempt(3, attemptId)).toMatchObject({ lifecycle: 'running', createdAt: NOW, completedAt: null, resources: [] });
    expect(script.advanceTo(run.completedAt - 1)).toBe(run.completedAt);
    expect(running.simulator.getAttempt(3, attemptId)?.lifecycle).toBe('running');
    expect(script.advanceTo(run.completedAt)).toBe(NOW + HOUR);
    expect(running.simulator.getAttempt(3, attemptId)).toMatchObject({ lifecycle: 'not_running', outcome: 'succeeded', completedAt: run.completedAt, resources: run.resources });
    expect(run.resources[0]?.errors).toEqual(['rows rejected']);
  });

  it('leaves skipped slots without an attempt: a gap a watcher sees over HTTP', async () => {
    running.simulator.addFlow({ id: 4, frequency: '1h' });
    const script = createRunScript(running.simulator, 4, hourly({ start: NOW - 6 * HOUR, faults: [{ kind: 'skip', from: NOW - 3 * HOUR }] }));
    script.advanceTo(NOW);
    const { data } = (await running.get('/v2/flows/4/run?sort=asc')).json() as { data: { createdAt: string }[] };
    expect(data.map((attempt) => attempt.createdAt.replaceAll('\u2010', '-'))).toEqual(['2023-06-12T15:30:00Z', '2023-06-12T16:30:00Z', '2023-06-12T17:30:00Z']);
  });

  it('never goes back: an earlier time changes nothing', () => {
    running.simulator.addFlow({ id: 5 });
    const script = createRunScript(running.simulator, 5, hourly({ start: NOW - 2 * HOUR }));
    script.advanceTo(NOW);
    expect(script.runs).toHaveLength(3);
    script.advanceTo(NOW - 2 * HOUR);
    script.advanceTo(NOW);
    expect(script.runs).toHaveLength(3);
  });

  it('keeps overlapping runs apart, each finished at its own end', () => {
    running.simulator.addFlow({ id: 6 });
    const script = createRunScript(running.simulator, 6, hourly({ start: NOW, faults: [{ kind: 'slow', durationMs: 150 * MINUTE, runs: [0] }] }));
    script.advanceTo(NOW + 2 * HOUR);
    const [slow, second, third] = script.runs.map(({ attemptId }) => running.simulator.getAttempt(6, attemptId)!);
    expect([slow?.lifecycle, second?.lifecycle, third?.lifecycle]).toEqual(['running', 'not_running', 'running']);
    script.advanceTo(NOW + 150 * MINUTE);
    expect(running.simulator.getAttempt(6, slow!.id)).toMatchObject({ outcome: 'succeeded', completedAt: NOW + 150 * MINUTE });
  });

  it('plays along with a real clock until stopped', async () => {
    running.simulator.addFlow({ id: 7 });
    const start = Date.now();
    const script = createRunScript(running.simulator, 7, { schedule: { everyMs: 40, anchor: start }, start, durationMs: 10, durationSpread: 0, resources: [{ name: 'rows', rows: 5 }] });
    const playing = playRunScripts([script]);
    for (let waited = 0; script.runs.length < 3 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    playing.stop();
    const created = script.runs.length;
    expect(created).toBeGreaterThanOrEqual(3);
    expect(script.runs.every(({ run }) => run.createdAt <= Date.now())).toBe(true);
    const finished = script.runs.filter(({ attemptId }) => running.simulator.getAttempt(7, attemptId)?.outcome === 'succeeded');
    expect(finished.length).toBeGreaterThanOrEqual(created - 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(script.runs).toHaveLength(created);
  });
});
