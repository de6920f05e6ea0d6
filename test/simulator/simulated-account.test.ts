import { describe, expect, it } from 'vitest';
import { createPortableSimulator } from '../../src/simulator/portable-simulator.ts';
import type { SimulatedAttempt } from '../../src/simulator/flow-store.ts';
import { HISTORY_RUNS } from '../../src/simulator/role-plan.ts';
import { FIRST_FLOW_ID, planAccount, runAccount, SIMULATED_ERROR, seedAccount } from '../../src/simulator/simulated-account.ts';
import { MINUTE, TOKEN, useRunningSimulator } from './running-simulator.ts';

const HOUR = 60 * MINUTE;
/** Ten seconds past a minute, as a user's start would be: nothing lines up by luck. */
const START = Date.UTC(2026, 0, 1, 12, 0, 10);
const FIRST_LIVE_MINUTE = Date.UTC(2026, 0, 1, 12, 1);
const [FAILS, HANGS, SUCCEEDS, MISSES, LOADS_SHORT] = [0, 1, 2, 3, 4].map((offset) => FIRST_FLOW_ID + offset) as [number, number, number, number, number];

describe('the simulated account', () => {
  const running = useRunningSimulator();

  /** A flow's attempts, oldest first, as the simulator holds them now. */
  const attempts = (flowId: number): SimulatedAttempt[] =>
    (scripts.find((script) => script.flowId === flowId)?.runs ?? []).map(({ attemptId }) => running.simulator.getAttempt(flowId, attemptId)!);
  let scripts: ReturnType<typeof seedAccount> = [];
  const seed = (count = 5) => {
    running.clock = START;
    scripts = seedAccount(running.simulator, planAccount(count), START);
  };
  const advance = (to: number) => {
    running.clock = to;
    for (const script of scripts) script.advanceTo(to);
  };

  describe('planAccount', () => {
    it('keeps the first three roles (the example config watches them) and adds a flow for each new rule', () => {
      expect(planAccount(7).map((flow) => [flow.id, flow.role, flow.cron ?? flow.frequency])).toEqual([
        [FAILS, 'fails', '* * * * *'],
        [HANGS, 'hangs', '6h'],
        [SUCCEEDS, 'succeeds', '15m'],
        [MISSES, 'misses', '* * * * *'],
        [LOADS_SHORT, 'loads-short', '*/2 * * * *'],
        [FIRST_FLOW_ID + 5, 'succeeds', '15m'],
        [FIRST_FLOW_ID + 6, 'succeeds', '15m'],
      ]);
      expect(planAccount(3).map((flow) => flow.role)).toEqual(['fails', 'hangs', 'succeeds']);
      expect(planAccount(5).every((flow) => flow.behaviour.length > 20)).toBe(true);
    });
  });

  describe('at the start', () => {
    it('serves each flow with its Portable schedule', async () => {
      seed();
      const { data } = (await running.get('/v2/flows')).json() as { data: Array<{ id: number; displayName: string; frequency?: string; cron?: string }> };
      expect(data.map(({ id, displayName, frequency, cron }) => ({ id, displayName, schedule: cron ?? frequency }))).toEqual([
        { id: FAILS, displayName: 'Events to Snowflake', schedule: '* * * * *' },
        { id: HANGS, displayName: 'Salesforce to BigQuery', schedule: '6h' },
        { id: SUCCEEDS, displayName: 'Stripe invoices to Postgres', schedule: '15m' },
        { id: MISSES, displayName: 'HubSpot contacts to Snowflake', schedule: '* * * * *' },
        { id: LOADS_SHORT, displayName: 'Shopify orders to BigQuery', schedule: '*/2 * * * *' },
      ]);
    });

    it('the failing flow’s latest run failed, and its next comes no sooner than 30 s later', async () => {
      seed();
      const status = (await running.get(`/v2/flows/${FAILS}/status`)).json();
      expect(status).toMatchObject({ lifecycle: 'NOT_RUNNING', disposition: 'FAILED', errors: [SIMULATED_ERROR] });
      const before = attempts(FAILS).length;
      advance(START + 30_000 - 1);
      expect(attempts(FAILS)).toHaveLength(before);
      advance(START + 30_000);
      expect(attempts(FAILS)).toHaveLength(before + 1);
    });

    it('the hanging flow has run for 130 min, usually takes ~20, and succeeds 10 min after the start', () => {
      seed();
      const history = attempts(HANGS);
      const hanging = history.at(-1)!;
      expect(hanging).toMatchObject({ lifecycle: 'running', createdAt: START - 130 * MINUTE });
      const usual = history.slice(0, -1).map((attempt) => (attempt.completedAt! - attempt.createdAt) / MINUTE);
      expect(usual).toHaveLength(12);
      expect(Math.min(...usual)).toBeGreaterThan(12);
      expect(Math.max(...usual)).toBeLessThan(33);
      advance(START + 10 * MINUTE);
      expect(running.simulator.getAttempt(HANGS, hanging.id)).toMatchObject({ outcome: 'succeeded', completedAt: START + 10 * MINUTE });
    });

    it('every flow has a clean history to learn from: on schedule, succeeded, fully loaded', () => {
      seed();
      const periods: Record<number, number> = { [HANGS]: 6 * HOUR, [SUCCEEDS]: 15 * MINUTE, [MISSES]: MINUTE, [LOADS_SHORT]: 2 * MINUTE, [FAILS]: MINUTE };
      for (const [flowId, period] of Object.entries(periods).map(([id, ms]) => [Number(id), ms] as const)) {
        const history = attempts(flowId).filter((attempt) => attempt.outcome === 'succeeded');
        expect(history.length, `flow ${flowId}`).toBeGreaterThanOrEqual(10);
        for (const attempt of history) {
          expect(attempt.resources.length, `flow ${flowId}`).toBe(2);
          for (const resource of attempt.resources) {
            expect(resource.loaded, `flow ${flowId} ${resource.name}`).toBe(resource.extracted);
            expect(resource.loaded).toBeGreaterThan(0);
            expect(resource).not.toHaveProperty('errors');
          }
        }
        const created = attempts(flowId).map((attempt) => attempt.createdAt);
        expect(created.slice(1).every((at, index) => at - created[index]! === period), `flow ${flowId} on schedule`).toBe(true);
      }
    });
  });

  describe('after the start', () => {
    it('the missing flow skips 6 runs in 10 from the first minute after the start: a gap past 2 min of grace, within 3 min', () => {
      seed();
      advance(START + 30 * MINUTE);
      const created = attempts(MISSES).map((attempt) => attempt.createdAt).filter((at) => at > START);
      expect(created.map((at) => (at - FIRST_LIVE_MINUTE) / MINUTE)).toEqual([6, 7, 8, 9, 16, 17, 18, 19, 26, 27, 28, 29]);
      // The run expected first is due one minute after the last one; with 2 min of grace it is missed before 3 min are up.
      const lastBefore = attempts(MISSES).filter((attempt) => attempt.createdAt <= START).at(-1)!;
      const missedAt = lastBefore.createdAt + MINUTE + 2 * MINUTE;
      expect(missedAt - START).toBeLessThanOrEqual(3 * MINUTE);
      expect(created[0]! > missedAt).toBe(true);
    });

    it('the loads-short flow loads orders partially in the 1st run of every 5, and 0 refunds in the 3rd', () => {
      seed();
      advance(START + 23 * MINUTE);
      const live = attempts(LOADS_SHORT).filter((attempt) => attempt.createdAt > START && attempt.createdAt <= START + 22 * MINUTE);
      const shape = live.map(({ resources: [orders, refunds] }) => {
        if (orders!.loaded! < orders!.extracted!) return `partial ${JSON.stringify(orders!.errors)}`;
        return refunds!.loaded === 0 ? 'no refunds' : 'normal';
      });
      const rejected = `partial ${JSON.stringify(["BigQuery rejected rows: field 'discount' is not a valid NUMERIC (simulated)"])}`;
      expect(shape).toEqual([rejected, 'normal', 'no refunds', 'normal', 'normal', rejected, 'normal', 'no refunds', 'normal', 'normal', rejected]);
      expect(live.every((attempt) => attempt.outcome === 'succeeded')).toBe(true);
      expect(live[0]!.createdAt).toBe(Date.UTC(2026, 0, 1, 12, 2));
    });

    it('the failing flow fails twice, then succeeds, on a loop, a minute apart', () => {
      seed();
      advance(START + 7 * MINUTE);
      const live = attempts(FAILS).filter((attempt) => attempt.createdAt > START);
      expect(live.map((attempt) => attempt.outcome)).toEqual(['failed', 'failed', 'succeeded', 'failed', 'failed', 'succeeded', 'failed']);
      expect(live.map((attempt) => (attempt.createdAt - START) / 1000)).toEqual([30, 90, 150, 210, 270, 330, 390]);
    });

    it('the succeeding flow runs every quarter hour and only succeeds', () => {
      seed();
      advance(START + 2 * HOUR + 5 * MINUTE);
      const live = attempts(SUCCEEDS).filter((attempt) => attempt.createdAt > START && attempt.createdAt <= START + 2 * HOUR);
      expect(live).toHaveLength(8);
      expect(live.every((attempt) => attempt.outcome === 'succeeded' && new Date(attempt.createdAt).getUTCMinutes() % 15 === 0)).toBe(true);
    });
  });

  it('seeds a thousand flows in well under a second', () => {
    const simulator = createPortableSimulator({ token: TOKEN, now: () => START });
    const started = performance.now();
    const many = seedAccount(simulator, planAccount(1_000), START);
    expect(performance.now() - started).toBeLessThan(1_500);
    // The hanging flow keeps 12 six-hourly runs (and the one still running); every other flow HISTORY_RUNS.
    expect(many.reduce((sum, script) => sum + script.runs.length, 0)).toBe(999 * HISTORY_RUNS + 13);
  });

  it('runs on the real clock until stopped', () => {
    const simulator = createPortableSimulator({ token: TOKEN });
    const account = runAccount(simulator, planAccount(5));
    expect(simulator.getFlow(HANGS)).toMatchObject({ frequency: '6h' });
    account.stop();
  });
});
