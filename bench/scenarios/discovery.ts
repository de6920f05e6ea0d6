/**
 * 11. Discovery: an account of 5,000 flows, none listed under `flows:`, one `discover: [{ include: "*" }]` rule. From a
 * worker process's start to all 5,000 flows scheduled: the GET /v2/flows requests it took (target: 1) and the time
 * from the worker answering started to the last scheduler in Redis (target ≤ 2 s), the reconcile of the discovered set.
 */
import { Queue } from 'bullmq';
import { discoveryConfigYaml, benchFlowIds } from '../bench-config.ts';
import { waitUntil, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { CHECK_QUEUE } from '../../src/scheduling/reconcile-schedules.ts';
import type { Scenario } from './scenario.ts';

export const discovery: Scenario = {
  name: 'discovery',
  what: '5,000 flows found by discover: [{ include: "*" }]: GET /v2/flows requests, time to all flows scheduled',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 1_000 : 5_000);
    return withRig(env, 'discovery', async (rig) => {
      const simulator = await rig.startSimulator(flowIds);
      const queue = new Queue(CHECK_QUEUE, { connection: env.redis, prefix: rig.prefix, skipMetasUpdate: true });
      try {
        const startedAt = Date.now();
        await rig.startWorker('watch', discoveryConfigYaml(simulator.url));
        const workerUp = Date.now();
        let scheduledAt = 0;
        await waitUntil(async () => {
          const done = (await queue.getJobSchedulersCount()) >= flowIds.length;
          if (done) scheduledAt = Date.now();
          return done;
        }, 60_000);
        // Long enough for a second listing, were the worker to make one it should not.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const listings = await simulator.link.request<number>('listings');
        const scenario = '11 discovery';
        const figures: Figure[] = [
          { scenario, name: `GET /v2/flows for ${flowIds.length.toLocaleString('en')} flows`, value: listings, unit: 'requests', target: { op: '==', value: 1 } },
          {
            scenario,
            name: 'discovered flows scheduled',
            value: scheduledAt - workerUp,
            unit: 'ms',
            target: { op: '<=', value: 2_000 },
            note: `from the worker process answering started to ${flowIds.length} schedulers in Redis; ${workerUp - startedAt} ms to start the process`,
          },
        ];
        return { figures, details: { flows: flowIds.length, listings, startMs: workerUp - startedAt, scheduledMs: scheduledAt - workerUp } };
      } finally {
        await queue.close();
      }
    });
  },
};
