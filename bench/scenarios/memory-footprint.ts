/**
 * 4. Memory: the worker process's peak RSS and the Redis memory with 10,000 flows at `pollEvery: 1m`, after the
 * start-up reconciliation and a full round of checks; and how long that reconciliation took.
 */
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { waitUntil, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { checksPerFlow, prefixMemory, round, usedMemory } from '../redis-probe.ts';
import type { Scenario } from './scenario.ts';

const MB = 2 ** 20;

export const memoryFootprint: Scenario = {
  name: 'memory',
  what: 'peak worker RSS, Redis memory and start-up reconciliation time with 10,000 flows @1m',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 2_000 : 10_000);
    const intervalMs = env.quick ? 10_000 : 60_000;
    return withRig(env, 'memory', async (rig) => {
      const simulator = await rig.startSimulator(flowIds);
      const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: env.quick ? '10s' : '1m' });
      const redisBefore = await usedMemory(env.redis);
      const startedAt = Date.now();
      const worker = await rig.startWorker('watch', yaml);
      const { reconcile, startMs } = worker.started;
      // Reconciliation queues a first check of every new flow at once; the schedulers' own round follows on each
      // flow's offset slot within the first interval. Both count: every flow checked twice.
      const afterStart = await worker.stats();
      const samples: Array<{ s: number; rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number }> = [];
      const fullRound = await waitUntil(
        async () => {
          const stats = await worker.stats();
          samples.push({
            s: round((stats.at - startedAt) / 1000),
            rssMb: round(stats.rssBytes / MB),
            heapTotalMb: round(stats.heapTotalBytes / MB),
            heapUsedMb: round(stats.heapUsedBytes / MB),
            externalMb: round(stats.externalBytes / MB),
          });
          return [...(await checksPerFlow(env.redis, rig.prefix, flowIds)).values()].every((count) => count >= 2);
        },
        intervalMs + 60_000,
        1_000,
      );
      const roundS = round((Date.now() - startedAt) / 1000);
      const stats = await worker.stats();
      const redisAfter = await usedMemory(env.redis);
      const own = await prefixMemory(env.redis, rig.prefix);
      const scenario = '4 memory';
      const size = `${flowIds.length} flows @${env.quick ? '10s' : '1m'}`;
      const figures: Figure[] = [
        {
          scenario,
          name: 'peak worker RSS',
          value: round(stats.maxRssBytes / MB),
          unit: 'MB',
          target: { op: '<=', value: 200 },
          note: `${size}, after start-up, the first checks and ${fullRound ? 'a full scheduled round' : 'an INCOMPLETE round'} (${roundS} s); RSS now ${round(stats.rssBytes / MB)} MB, heap ${round(stats.heapUsedBytes / MB)} MB`,
        },
        {
          scenario,
          name: 'start-up reconciliation',
          value: reconcile.durationMs,
          unit: 'ms',
          target: { op: '<=', value: 10_000 },
          note: `${reconcile.added.length} schedulers added (ReconcileReport.durationMs); process start to workers running ${startMs} ms`,
        },
        {
          scenario,
          name: 'Redis used_memory, before → after',
          value: round((redisAfter - redisBefore) / MB),
          unit: 'MB',
          note: `${round(redisBefore / MB)} → ${round(redisAfter / MB)} MB server-wide (other clients count too); the prefix's ${own.keys} keys: ${round(own.bytes / MB)} MB, ${round(own.bytes / flowIds.length / 1024, 2)} KB per flow`,
        },
      ];
      return {
        figures,
        details: {
          flows: flowIds.length,
          fullRound,
          roundS,
          reconcile: { durationMs: reconcile.durationMs, added: reconcile.added.length, startMs },
          worker: {
            maxRssMb: round(stats.maxRssBytes / MB),
            rssMb: round(stats.rssBytes / MB),
            heapUsedMb: round(stats.heapUsedBytes / MB),
            heapTotalMb: round(stats.heapTotalBytes / MB),
            externalMb: round(stats.externalBytes / MB),
            peakRssAfterStartMb: round(afterStart.maxRssBytes / MB),
            samples,
          },
          redis: { usedMemoryBefore: redisBefore, usedMemoryAfter: redisAfter, prefixKeys: own.keys, prefixBytes: own.bytes },
        },
      };
    });
  },
};
