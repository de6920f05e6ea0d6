/**
 * 3. Detection latency: from a failed attempt appearing in the simulator (stamped there) to the Slack receiver
 * holding the whole POST, for failures injected at random moments into 200 flows polled every 5 s.
 */
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { waitUntil, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { alertsPerFlow, startSlackReceiver, type ReceivedAlert } from '../slack-receiver.ts';
import { percentile, seededRandom } from '../statistics.ts';
import { checksPerFlow } from '../redis-probe.ts';
import type { AppearedFailure } from '../simulator-process.ts';
import type { Scenario } from './scenario.ts';

const POLL_EVERY_MS = 5_000;

export const detectionLatency: Scenario = {
  name: 'detection-latency',
  what: 'failure in the simulator → Slack POST, p50/p95/p99/max (200 flows @5s, failures at random moments)',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 50 : 200);
    const spreadMs = env.quick ? 8_000 : 20_000;
    const receiver = await startSlackReceiver();
    try {
      return await withRig(env, 'detection-latency', async (rig) => {
        const simulator = await rig.startSimulator(flowIds);
        const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: '5s', webhookUrl: receiver.webhookUrl, named: true });
        await rig.startWorker('watch', yaml);
        // Failures land after every flow's first check, as they would on a worker that has been running.
        await waitUntil(async () => [...(await checksPerFlow(env.redis, rig.prefix, flowIds)).values()].every((count) => count > 0), POLL_EVERY_MS + 15_000);
        const random = seededRandom(5);
        const items = flowIds.map((flowId) => ({ flowId, delayMs: Math.round(random() * spreadMs) }));
        await simulator.link.request('scheduleFailures', { items });
        const allArrived = () => Promise.resolve(alertsPerFlow(receiver.posts).size >= flowIds.length);
        await waitUntil(allArrived, spreadMs + POLL_EVERY_MS + 20_000);
        // A duplicate would come from a second check or a redelivery: give it a poll interval to show.
        await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
        const appeared = await simulator.link.request<AppearedFailure[]>('failures');
        return summarise(flowIds, appeared, receiver.posts);
      });
    } finally {
      await receiver.close();
    }
  },
};

function summarise(flowIds: number[], appeared: AppearedFailure[], posts: readonly ReceivedAlert[]) {
  const byFlow = alertsPerFlow(posts);
  const latencies = appeared
    .map((failure) => {
      const first = byFlow.get(failure.flowId)?.[0];
      return first === undefined ? Number.POSITIVE_INFINITY : first.at - failure.at;
    })
    .sort((a, b) => a - b);
  const missing = latencies.filter((latency) => !Number.isFinite(latency)).length;
  const duplicates = [...byFlow.values()].reduce((sum, alerts) => sum + Math.max(0, alerts.length - 1), 0);
  const scenario = '3 detection latency';
  const target = { op: '<=' as const, value: POLL_EVERY_MS + 2_000 };
  const context = `${appeared.length} failures in ${flowIds.length} flows @5s; ${missing} not alerted, ${duplicates} duplicate posts`;
  const at = (p: number) => percentile(latencies, p);
  const figures: Figure[] = [
    { scenario, name: 'p50', value: at(50), unit: 'ms', note: context },
    { scenario, name: 'p95', value: at(95), unit: 'ms' },
    { scenario, name: 'p99', value: at(99), unit: 'ms', target, note: 'target: pollEvery + 2 s' },
    { scenario, name: 'max', value: latencies.at(-1) ?? Number.NaN, unit: 'ms' },
    { scenario, name: 'alerts missing or duplicated', value: missing + duplicates, unit: '', target: { op: '==', value: 0 } },
  ];
  const finite = latencies.filter((latency) => Number.isFinite(latency));
  return {
    figures,
    details: {
      flows: flowIds.length,
      failures: appeared.length,
      posts: posts.length,
      missing,
      duplicates,
      latencyMs: { p50: at(50), p95: at(95), p99: at(99), max: latencies.at(-1), mean: finite.reduce((sum, value) => sum + value, 0) / Math.max(1, finite.length) },
    },
  };
}
