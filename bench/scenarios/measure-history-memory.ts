/**
 * The Redis memory of a watched flow once its history is full: 10,000 flows (scenario 4's size) on Portable
 * schedules, 5 to 10 resources each and more runs than a history keeps, checked by one worker with every rule and
 * `maxRuntime: auto` until each flow has committed two checks (the first reads its history from Portable). The worker
 * is then stopped, so no check holds a lease, and every key of the prefix is weighed with `MEMORY USAGE key SAMPLES
 * 0` (every element counted, allocator overhead included), as scenario 4 weighs its prefix; the figure is their sum
 * over the number of flows. The breakdown tells the keys apart by name: the flow's own (`flow:<id>:…`), the hash of
 * Portable's schedules, BullMQ's Job Scheduler of each flow, its next job, the completed jobs the queue keeps (at
 * most 1,000 whatever the number of flows) and the rest of the queue.
 */
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { waitUntil, withRig, type BenchEnv } from '../bench-rig.ts';
import type { Figure, ScenarioResult } from '../bench-report.ts';
import { checksPerFlow, round, usedMemory } from '../redis-probe.ts';
import { planScheduledFlow } from '../scheduled-flows.ts';
import { CHECK_QUEUE } from '../../src/scheduling/reconcile-schedules.ts';
import { portableSchedulesKey } from '../../src/state/flow-state-store.ts';
import type { FlowState } from '../../src/detection/flow-state.ts';
import { HISTORY_RUNS } from '../../src/detection/run-history.ts';
import type { Redis } from 'ioredis';

const KB = 1024;

/** What the prefix's keys weigh, by what they are for (bytes). */
interface KeyWeights {
  keys: number;
  /** `flow:<id>:state`: the state hash, history included. */
  state: number;
  /** Any other `flow:<id>:…` key (a lease, the last alert). */
  flowOther: number;
  /** The hash of Portable's schedules, all flows. */
  schedules: number;
  /** BullMQ's Job Scheduler of each flow (`checks:repeat:flow-<id>`) and its index (`checks:repeat`). */
  schedulers: number;
  /** Each flow's next scheduled job. */
  jobs: number;
  /** Completed jobs the queue keeps (at most 1,000, whatever the number of flows). */
  completed: number;
  /** Everything else: queue metadata, event streams, the installation marker. */
  other: number;
}

async function weighKeys(redis: Redis, prefix: string): Promise<KeyWeights> {
  const weights: KeyWeights = { keys: 0, state: 0, flowOther: 0, schedules: 0, schedulers: 0, jobs: 0, completed: 0, other: 0 };
  const completed = new Set((await redis.zrange(`${prefix}:${CHECK_QUEUE}:completed`, '0', '-1')).map((id) => `:${CHECK_QUEUE}:${id}`));
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const usages = (await pipeline.exec()) ?? [];
    found.forEach((key, index) => {
      const bytes = Number(usages[index]?.[1] ?? 0);
      const name = key.slice(prefix.length);
      const category: keyof Omit<KeyWeights, 'keys'> = /^:flow:\d+:state$/.test(name)
        ? 'state'
        : /^:flow:\d+:/.test(name)
          ? 'flowOther'
          : name === ':schedules'
            ? 'schedules'
            : /^:checks:repeat(:flow-\d+)?$/.test(name)
              ? 'schedulers'
              : completed.has(name)
                ? 'completed'
                : /^:checks:repeat:flow-\d+:\d+$/.test(name)
                  ? 'jobs'
                  : 'other';
      weights[category] += bytes;
      weights.keys += 1;
    });
  } while (cursor !== '0');
  return weights;
}

/** How many flows' histories are full: HISTORY_RUNS durations, and every resource with HISTORY_RUNS counts. */
async function historyFill(redis: Redis, prefix: string, flowIds: readonly number[]) {
  const pipeline = redis.pipeline();
  for (const id of flowIds) pipeline.hget(`${prefix}:flow:${id}:state`, 'state');
  const states = ((await pipeline.exec()) ?? []).map(([, raw]) => JSON.parse((raw as string | null) ?? '{}') as Partial<FlowState>);
  let full = 0;
  let resources = 0;
  states.forEach((state, index) => {
    const loaded = Object.values(state.history?.loaded ?? {});
    resources += loaded.length;
    const expected = planScheduledFlow(flowIds[index] ?? 0).resources.length;
    if (state.history?.durations.length === HISTORY_RUNS && loaded.length === expected && loaded.every((series) => series.length === HISTORY_RUNS)) full += 1;
  });
  return { full, resourcesPerFlow: round(resources / Math.max(1, flowIds.length), 2) };
}

export async function measureHistoryMemory(env: BenchEnv, historyRuns: number): Promise<ScenarioResult> {
  const flowIds = benchFlowIds(env.quick ? 1_000 : 10_000);
  return withRig(env, 'detection-memory', async (rig) => {
    const simulator = await rig.startSimulator(flowIds, { scheduled: { runs: historyRuns, at: Date.now(), play: true } });
    // First checks are spread over one interval: 20 s keeps the round short and the worker below its capacity.
    const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: '20s', maxRuntime: 'auto' });
    const redisBefore = await usedMemory(env.redis);
    const startedAt = Date.now();
    const worker = await rig.startWorker('watch', yaml);
    const checkedTwice = await waitUntil(
      async () =>
        [...(await checksPerFlow(env.redis, rig.prefix, flowIds)).values()].every((count) => count >= 2) &&
        (await env.redis.hlen(portableSchedulesKey(rig.prefix))) >= flowIds.length,
      180_000,
      1_000,
    );
    if (!checkedTwice) throw new Error(`${flowIds.length} flows were not all checked twice within 180 s`);
    const settledS = round((Date.now() - startedAt) / 1000);
    await worker.stop();
    const redisAfter = await usedMemory(env.redis);
    const weights = await weighKeys(env.redis, rig.prefix);
    const fill = await historyFill(env.redis, rig.prefix, flowIds);
    const perFlow = (bytes: number) => round(bytes / flowIds.length / KB, 2);
    const total = weights.state + weights.flowOther + weights.schedules + weights.schedulers + weights.jobs + weights.completed + weights.other;
    const scenario = '9 detection cost';
    const figures: Figure[] = [
      {
        scenario,
        name: 'Redis per flow, history full',
        value: perFlow(total),
        unit: 'KB',
        target: { op: '<=', value: 6 },
        note:
          `all ${weights.keys} keys of the prefix ÷ ${flowIds.length} flows (MEMORY USAGE, SAMPLES 0), worker stopped: state ${perFlow(weights.state)}, ` +
          `schedules ${perFlow(weights.schedules)}, Job Scheduler ${perFlow(weights.schedulers)}, next job ${perFlow(weights.jobs)}, ` +
          `lease/last alert ${perFlow(weights.flowOther)}, completed jobs kept ${perFlow(weights.completed)}, queue rest ${perFlow(weights.other)} KB; ${fill.full} of ${flowIds.length} histories full ` +
          `(${HISTORY_RUNS} runs, ${fill.resourcesPerFlow} resources per flow)`,
      },
      {
        scenario,
        name: "a flow's state with its history",
        value: perFlow(weights.state),
        unit: 'KB',
        note: `the state hash alone (MEMORY USAGE); Redis used_memory grew ${perFlow(redisAfter - redisBefore)} KB per flow meanwhile (server-wide, other clients count too)`,
      },
    ];
    return {
      figures,
      details: { flows: flowIds.length, attemptsSeeded: simulator.attempts, settledS, weights, historyFill: fill, redis: { usedMemoryBefore: redisBefore, usedMemoryAfter: redisAfter } },
    };
  });
}
