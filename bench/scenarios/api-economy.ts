/**
 * 2. API economy: Portable requests per check, counted exactly. Each phase runs a worker and then stops it
 * gracefully, so every request the simulator counted belongs to a check that committed (the flow's state
 * version went up): no check is half in and half out of a window.
 */
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { sleep, waitUntil, withRig, type Rig, type SimulatorHandle } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { checksPerFlow, round, totalChecks } from '../redis-probe.ts';
import type { Scenario } from './scenario.ts';

interface NewAttemptPhase {
  /** Flows checked exactly once after the attempt arrived: their requests are the first check's cost. */
  flowsCheckedOnce: number;
  requestsOnFirstCheck: number;
  /** Over every check of the phase (later checks still read the attempt, within the 5-minute overlap). */
  requestsPerCheck: number;
  checks: number;
  allFlowsChecked: boolean;
}

async function newAttemptPhase(rig: Rig, simulator: SimulatorHandle, flowIds: number[], yaml: string, state: 'succeeded' | 'failed'): Promise<NewAttemptPhase> {
  const before = await checksPerFlow(rig.env.redis, rig.prefix, flowIds);
  await simulator.link.request('reset');
  await simulator.link.request('addAttempts', { flowIds, state });
  const worker = await rig.startWorker('watch', yaml);
  const allFlowsChecked = await waitUntil(async () => {
    const now = await checksPerFlow(rig.env.redis, rig.prefix, flowIds);
    return flowIds.every((id) => (now.get(id) ?? 0) > (before.get(id) ?? 0));
  }, 30_000, 100);
  await worker.stop();
  const after = await checksPerFlow(rig.env.redis, rig.prefix, flowIds);
  const requests = new Map((await simulator.counts()).perFlow);
  let checks = 0;
  let allRequests = 0;
  let once = 0;
  let onceRequests = 0;
  for (const id of flowIds) {
    const delta = (after.get(id) ?? 0) - (before.get(id) ?? 0);
    const made = requests.get(id) ?? 0;
    checks += delta;
    allRequests += made;
    if (delta === 1) {
      once += 1;
      onceRequests += made;
    }
  }
  return {
    flowsCheckedOnce: once,
    requestsOnFirstCheck: round(onceRequests / Math.max(1, once), 3),
    requestsPerCheck: round(allRequests / Math.max(1, checks), 3),
    checks,
    allFlowsChecked,
  };
}

export const apiEconomy: Scenario = {
  name: 'api-economy',
  what: 'Portable requests per check: nothing changed, and one new attempt (200 flows @1s)',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 50 : 200);
    return withRig(env, 'api-economy', async (rig) => {
      const simulator = await rig.startSimulator(flowIds);
      const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: '1s' });

      const quietWorker = await rig.startWorker('watch', yaml);
      await sleep(env.quick ? 3_000 : 6_000);
      await quietWorker.stop();
      const quietChecks = await totalChecks(env.redis, rig.prefix, flowIds);
      const quietRequests = await simulator.total();

      const succeeded = await newAttemptPhase(rig, simulator, flowIds, yaml, 'succeeded');
      const failed = await newAttemptPhase(rig, simulator, flowIds, yaml, 'failed');
      const scenario = '2 API economy';
      const figures: Figure[] = [
        {
          scenario,
          name: 'requests per check, nothing changed',
          value: round(quietRequests / Math.max(1, quietChecks), 3),
          unit: 'req/check',
          digits: 2,
          target: { op: '==', value: 1 },
          note: `${quietRequests} requests / ${quietChecks} checks, ${flowIds.length} flows`,
        },
        {
          scenario,
          name: 'requests, first check after a new attempt',
          value: succeeded.requestsOnFirstCheck,
          unit: 'req/check',
          digits: 2,
          target: { op: '==', value: 1 },
          note: `a succeeded attempt; ${succeeded.flowsCheckedOnce} flows checked once; ${succeeded.requestsPerCheck} over all ${succeeded.checks} checks`,
        },
        {
          scenario,
          name: 'requests, first check after a failed attempt',
          value: failed.requestsOnFirstCheck,
          unit: 'req/check',
          digits: 2,
          note: `the alert looks the flow's name up once (unnamed flows); ${failed.flowsCheckedOnce} flows checked once; ${failed.requestsPerCheck} over all ${failed.checks} checks`,
        },
      ];
      return { figures, details: { quiet: { checks: quietChecks, requests: quietRequests }, succeeded, failed } };
    });
  },
};
