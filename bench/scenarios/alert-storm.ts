/**
 * 10. Alert storm: 300 flows failing within 10 s (a warehouse going down) reach one Slack webhook that takes one
 * message per second with bursts of 5. Target: at most 8 messages within 2 minutes, every failure named or counted,
 * none lost, no 429 provoked.
 */
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { waitUntil, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { checksPerFlow } from '../redis-probe.ts';
import { startSlackReceiver } from '../slack-receiver.ts';
import { seededRandom } from '../statistics.ts';
import type { Scenario } from './scenario.ts';

const POLL_EVERY_MS = 5_000;
const WINDOW_MS = 120_000;

export const alertStorm: Scenario = {
  name: 'alert-storm',
  what: '300 flows failing within 10 s → one Slack webhook (1 msg/s, burst 5): messages in 2 min, failures named or counted, 429s',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 100 : 300);
    const receiver = await startSlackReceiver({ rateLimit: { perSecond: 1, burst: 5 } });
    try {
      return await withRig(env, 'alert-storm', async (rig) => {
        const simulator = await rig.startSimulator(flowIds);
        const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: '5s', webhookUrl: receiver.webhookUrl, named: true, detect: ['failed'], burst: 5, groupInterval: '1m' });
        await rig.startWorker('watch', yaml);
        await waitUntil(async () => [...(await checksPerFlow(env.redis, rig.prefix, flowIds)).values()].every((count) => count > 0), POLL_EVERY_MS + 15_000);
        const random = seededRandom(10);
        const startedAt = Date.now();
        await simulator.link.request('scheduleFailures', { items: flowIds.map((flowId) => ({ flowId, delayMs: Math.round(random() * 10_000) })) });
        const accounted = () => Promise.resolve(account(receiver.bodies).total >= flowIds.length);
        await waitUntil(accounted, WINDOW_MS + 30_000).catch(() => undefined);
        // Whatever else arrives within the two minutes counts too (a duplicate, a late digest).
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + WINDOW_MS - Date.now())));
        return summarise(flowIds.length, receiver.bodies, receiver.refused, Date.now() - startedAt);
      });
    } finally {
      await receiver.close();
    }
  },
};

/** The failures a message names (`bench-<id>`) and the ones its digest line counts ("…and 212 more"). */
export function account(bodies: readonly string[]): { named: Set<number>; counted: number; total: number; duplicates: number } {
  const named = new Set<number>();
  let counted = 0;
  let duplicates = 0;
  for (const body of bodies) {
    const here = new Set([...body.matchAll(/bench-(\d+)/g)].map((match) => Number(match[1])));
    for (const id of here) {
      if (named.has(id)) duplicates += 1;
      named.add(id);
    }
    // The fallback text and the blocks may both say it: count the largest once per message.
    const more = [...body.matchAll(/and ([\d,]+) more/g)].map((match) => Number(match[1]?.replaceAll(',', '')));
    counted += more.length === 0 ? 0 : Math.max(...more);
  }
  return { named, counted, total: named.size + counted, duplicates };
}

function summarise(failures: number, bodies: readonly string[], refused: number, elapsedMs: number) {
  const { named, counted, total, duplicates } = account(bodies);
  const scenario = '10 alert storm';
  const context = `${failures} flows failing within 10 s; ${named.size} named, ${counted} counted in ${bodies.length} messages over ${Math.round(elapsedMs / 1000)} s`;
  const figures: Figure[] = [
    { scenario, name: 'messages within 2 min', value: bodies.length, unit: '', target: { op: '<=', value: 8 }, note: context },
    { scenario, name: 'failures neither named nor counted', value: Math.max(0, failures - total), unit: '', target: { op: '==', value: 0 } },
    { scenario, name: 'failures named twice', value: duplicates, unit: '', target: { op: '==', value: 0 } },
    { scenario, name: '429 answers provoked', value: refused, unit: '', target: { op: '==', value: 0 } },
  ];
  return { figures, details: { failures, messages: bodies.length, named: named.size, counted, duplicates, refused, elapsedMs } };
}
