/**
 * One refresh of Portable's schedules for 10,000 flows, end to end: `createScheduleRefresher(...).refresh()` as the
 * watch service builds it, in a worker process of its own (the product's V8 flags), against the simulator serving
 * 10,000 flows on a `frequency` or a `cron`: one GET /v2/flows, then 10,000 fields written to Redis. Five in a row:
 * the first on a cold process and an empty hash, as at a worker's start; the figure is the slowest.
 */
import { benchFlowIds, BENCH_TOKEN } from '../bench-config.ts';
import { withRig, type BenchEnv } from '../bench-rig.ts';
import type { Figure, ScenarioResult } from '../bench-report.ts';
import { percentile } from '../statistics.ts';
import { portableSchedulesKey } from '../../src/state/flow-state-store.ts';

const REFRESHES = 5;

export async function measureScheduleRefresh(env: BenchEnv): Promise<ScenarioResult> {
  const flowIds = benchFlowIds(10_000);
  return withRig(env, 'detection-refresh', async (rig) => {
    const simulator = await rig.startSimulator(flowIds, { scheduled: { runs: 0, at: Date.now(), play: false } });
    const times = await rig.refreshSchedules({ apiUrl: simulator.url, token: BENCH_TOKEN, flowIds, times: REFRESHES });
    const written = await env.redis.hlen(portableSchedulesKey(rig.prefix));
    const total = times.refreshes.map((refresh) => refresh.ms);
    const warm = total.slice(1).sort((a, b) => a - b);
    const list = [...times.listOnlyMs].sort((a, b) => a - b);
    const requests = times.refreshes.map((refresh) => refresh.report.requests);
    const outcomes = new Set(times.refreshes.map((refresh) => `${refresh.report.outcome} ${refresh.report.flows}`));
    const figures: Figure[] = [
      {
        scenario: '9 detection cost',
        name: 'schedule refresh, 10,000 flows',
        value: Math.max(...total),
        unit: 'ms',
        target: { op: '<=', value: 2_000 },
        note:
          `slowest of ${REFRESHES} (${total.join(', ')} ms; the first cold); ${requests.join('+')} requests; ${[...outcomes].join(', ')}; ` +
          `${written} entries in Redis; GET /v2/flows alone ${percentile(list, 50)} ms (median of ${list.length}), so the writes take about ` +
          `${Math.max(0, (percentile(warm, 50) ?? 0) - (percentile(list, 50) ?? 0))} ms`,
      },
    ];
    return { figures, details: { flows: flowIds.length, refreshes: times.refreshes, listOnlyMs: times.listOnlyMs, written } };
  });
}
