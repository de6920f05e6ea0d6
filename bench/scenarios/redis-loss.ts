/**
 * 7. Redis loses its data: two worker processes watch 500 flows; once every flow has been checked and a first
 * batch of failures alerted, every key of the installation is deleted in one atomic step (what a Redis restarted
 * without persistence, or flushed, looks like to it) and a second batch of flows fails at that moment. Measured
 * from the wipe: when checks resume, when every flow has been checked again, and whether any alert was repeated
 * or lost.
 */
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { sleep, waitUntil, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { alertsPerFlow, startSlackReceiver } from '../slack-receiver.ts';
import { seededRandom } from '../statistics.ts';
import type { Scenario } from './scenario.ts';

/** Deletes every key under the prefix inside one script: no worker sees half a wipe. */
const WIPE_SCRIPT = `
local cursor = '0'
local deleted = 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    redis.call('DEL', key)
    deleted = deleted + 1
  end
until cursor == '0'
return deleted
`;

export const redisLoss: Scenario = {
  name: 'redis-loss',
  what: 'two workers, 500 flows @5s, every key wiped: time to checks resuming, alerts repeated or lost',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 200 : 500);
    const everyMs = 5_000;
    const random = seededRandom(11);
    const failBefore = flowIds.filter(() => random() < 0.05);
    const failDuring = flowIds.filter((id) => !failBefore.includes(id) && random() < 0.05);
    const receiver = await startSlackReceiver();
    try {
      const timings = await withRig(env, 'redis-loss', async (rig) => {
        const simulator = await rig.startSimulator(flowIds);
        const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: `${everyMs / 1000}s`, webhookUrl: receiver.webhookUrl, named: true });
        const workers = await Promise.all([rig.startWorker('watch', yaml), rig.startWorker('watch', yaml)]);
        const everyFlowChecked = async (since: Map<number, number>) => {
          const counts = new Map((await simulator.counts()).perFlow);
          return flowIds.filter((id) => (counts.get(id) ?? 0) > (since.get(id) ?? 0)).length;
        };
        await waitUntil(async () => (await everyFlowChecked(new Map())) === flowIds.length, 30_000);
        await simulator.link.request('addAttempts', { flowIds: failBefore, state: 'failed' });
        await waitUntil(() => Promise.resolve(alertsPerFlow(receiver.posts).size >= failBefore.length), 30_000);
        await sleep(everyMs);

        const atWipe = new Map((await simulator.counts()).perFlow);
        const keysDeleted = (await env.redis.eval(WIPE_SCRIPT, 0, `${rig.prefix}*`)) as number;
        const wipedAt = Date.now();
        await simulator.link.request('addAttempts', { flowIds: failDuring, state: 'failed' });
        // In-flight checks may still ask Portable right after the wipe: a tenth of the flows is the resumption.
        let tenthAt: number | undefined;
        const allChecked = await waitUntil(async () => {
          const checked = await everyFlowChecked(atWipe);
          if (tenthAt === undefined && checked >= flowIds.length / 10) tenthAt = Date.now();
          return checked === flowIds.length;
        }, 90_000, 100);
        const allCheckedAt = Date.now();
        await waitUntil(() => Promise.resolve(alertsPerFlow(receiver.posts).size >= failBefore.length + failDuring.length), 30_000);
        await sleep(2 * everyMs);
        for (const worker of workers) await worker.stop();
        return { keysDeleted, resumedMs: (tenthAt ?? Number.NaN) - wipedAt, allCheckedMs: allChecked ? allCheckedAt - wipedAt : null };
      });
      const posts = alertsPerFlow(receiver.posts);
      const repeated = [...posts.values()].reduce((sum, alerts) => sum + Math.max(0, alerts.length - 1), 0);
      const missing = [...failBefore, ...failDuring].filter((id) => !posts.has(id)).length;
      const notices = receiver.posts.filter((post) => post.header.startsWith('MONITOR ERROR')).length;
      const scenario = '7 redis loss';
      const setting = `${flowIds.length} flows @${everyMs / 1000}s, two workers; ${timings.keysDeleted} keys deleted in one script`;
      const figures: Figure[] = [
        { scenario, name: 'wipe to checks resuming', value: timings.resumedMs, unit: 'ms', note: `${setting}; a tenth of the flows checked again` },
        {
          scenario,
          name: 'wipe to every flow checked again',
          value: timings.allCheckedMs,
          unit: 'ms',
          target: { op: '<=', value: 60_000 },
          note: 'includes the settle time that lets every replica restore what it remembers',
        },
        {
          scenario,
          name: 'alerts repeated',
          value: repeated,
          unit: '',
          target: { op: '==', value: 0 },
          note: `${failBefore.length} failures alerted before the wipe, ${failDuring.length} created at the wipe; ${missing} not alerted; ${notices} "Redis lost" notice(s)`,
        },
        { scenario, name: 'alerts lost', value: missing, unit: '', target: { op: '==', value: 0 } },
      ];
      return { figures, details: { ...timings, repeated, missing, notices, failBefore: failBefore.length, failDuring: failDuring.length } };
    } finally {
      await receiver.close();
    }
  },
};
