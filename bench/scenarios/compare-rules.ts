/**
 * What every rule costs one worker's throughput, against the same flows with `detect: [failed]`: scenario 1's
 * measurement (Job Schedulers at 500 ms, committed checks counted by state versions, the ready backlog sampled to
 * show saturation), made fair on a small machine others share.
 *
 * One simulator serves both, so both read the same flows and the same answers: 2,000 flows on Portable schedules
 * (half `frequency`, half `cron`), 5 to 10 resources with row counts, a history of healthy runs, and runs that keep
 * coming on schedule (about one flow in sixteen running at any moment; those that finish are judged, partial loads and
 * volume drops included). Two worker processes, one per setting, each on a prefix of its own, both with `maxRuntime:
 * auto`. They settle together (every flow's first check reads its history; Portable's schedules are read), each
 * warms up alone, and then they take turns: the bench pauses one's queue and resumes the other's, every few seconds
 * in the order every, failed, failed, every, …, so that a change in the machine's load weighs on both alike. A turn
 * counts only after a ramp of 1.5 s; the paused worker waits on Redis meanwhile.
 */
import { Queue } from 'bullmq';
import { CHECK_QUEUE } from '../../src/scheduling/reconcile-schedules.ts';
import { portableSchedulesKey } from '../../src/state/flow-state-store.ts';
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { sleep, waitUntil, withRig, type BenchEnv, type Rig, type WorkerHandle } from '../bench-rig.ts';
import { checksPerFlow, round, stateBytes, totalChecks } from '../redis-probe.ts';
import { startSlackReceiver } from '../slack-receiver.ts';
import { EVERY_MS, sampleBacklog } from './measure-throughput.ts';

export type Rules = 'every' | 'failed';

const DETECTION: Record<Rules, { maxRuntime: string; detect?: string[] }> = {
  every: { maxRuntime: 'auto' },
  failed: { maxRuntime: 'auto', detect: ['failed'] },
};

interface Contender {
  rules: Rules;
  prefix: string;
  worker: WorkerHandle;
  queue: Queue;
}

/** One turn of one worker. */
export interface Turn {
  rules: Rules;
  seconds: number;
  checks: number;
  /** The working worker's CPU, and the paused one's meanwhile. */
  cpuMs: number;
  pausedCpuMs: number;
  /** Fewest ready checks at a sample: above 0, the worker never ran out of work. */
  backlogMin: number;
}

export interface RulesComparison {
  flows: number;
  turns: Turn[];
  checksPerSecond: Record<Rules, number>;
  cpuMsPerCheck: Record<Rules, number>;
  /** Every rule's checks/s over detect: [failed]'s, in %: over all turns, and per pair of turns. */
  share: number;
  pairShares: number[];
  saturated: boolean;
  alerts: number;
  stateBytes: Record<Rules, { mean: number; max: number }>;
  settleMs: number;
  attemptsSeeded: number;
  /** Committed checks over each worker's life, settling included: what a --cpu-prof profile is to be divided by. */
  checksInAll: Record<Rules, number>;
}

const RAMP_MS = 1_500;

export async function compareRules(env: BenchEnv, seededRuns: number): Promise<RulesComparison> {
  const receiver = await startSlackReceiver();
  try {
    const comparison = await withRig(env, 'rules-every', (every) => withRig(env, 'rules-failed', (failed) => compareIn(env, { every, failed }, receiver.webhookUrl, seededRuns)));
    return { ...comparison, alerts: receiver.posts.length };
  } finally {
    await receiver.close();
  }
}

async function compareIn(env: BenchEnv, rigs: Record<Rules, Rig>, webhookUrl: string, seededRuns: number): Promise<RulesComparison> {
  const flowIds = benchFlowIds(2_000);
  const simulator = await rigs.every.startSimulator(flowIds, { scheduled: { runs: seededRuns, at: Date.now(), play: true } });
  const startedAt = Date.now();
  const contenders: Contender[] = [];
  try {
    for (const rules of ['every', 'failed'] as const) {
      const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: '1s', webhookUrl, ...DETECTION[rules] });
      const worker = await rigs[rules].startWorker('watch', yaml, { everyMs: EVERY_MS });
      contenders.push({ rules, prefix: rigs[rules].prefix, worker, queue: new Queue(CHECK_QUEUE, { connection: env.redis, prefix: rigs[rules].prefix }) });
    }
    const [every, failed] = contenders as [Contender, Contender];
    await settle(env, flowIds, every, failed);
    const settleMs = Date.now() - startedAt;
    const turnMs = env.quick ? 3_000 : 5_000;
    // Warm-up: a turn each, not counted.
    await takeTurn(env, flowIds, every, failed, turnMs);
    await takeTurn(env, flowIds, failed, every, turnMs);
    const turns: Turn[] = [];
    for (let pair = 0; pair < (env.quick ? 2 : 8); pair += 1) {
      const order = pair % 2 === 0 ? [every, failed] : [failed, every];
      turns.push(await takeTurn(env, flowIds, order[0] as Contender, order[1] as Contender, turnMs));
      turns.push(await takeTurn(env, flowIds, order[1] as Contender, order[0] as Contender, turnMs));
    }
    const sizes = { every: await stateBytes(env.redis, every.prefix, flowIds), failed: await stateBytes(env.redis, failed.prefix, flowIds) };
    const checksInAll = { every: await totalChecks(env.redis, every.prefix, flowIds), failed: await totalChecks(env.redis, failed.prefix, flowIds) };
    return { ...summarise(flowIds.length, turns), stateBytes: sizes, settleMs, attemptsSeeded: simulator.attempts, checksInAll, alerts: 0 };
  } finally {
    for (const contender of contenders) await contender.queue.close();
  }
}

/** Both together until every flow had its first check in each, and the flows detecting missed runs have schedules. */
async function settle(env: BenchEnv, flowIds: readonly number[], every: Contender, failed: Contender): Promise<void> {
  const checkedOnce = async (prefix: string) => [...(await checksPerFlow(env.redis, prefix, flowIds)).values()].every((count) => count >= 1);
  const settled = await waitUntil(
    async () => (await checkedOnce(every.prefix)) && (await checkedOnce(failed.prefix)) && (await env.redis.hlen(portableSchedulesKey(every.prefix))) >= flowIds.length,
    180_000,
    1_000,
  );
  if (!settled) throw new Error(`the first checks of ${flowIds.length} flows, or their schedules, were not done within 180 s`);
}

async function takeTurn(env: BenchEnv, flowIds: readonly number[], working: Contender, paused: Contender, turnMs: number): Promise<Turn> {
  await paused.queue.pause();
  await working.queue.resume();
  await sleep(RAMP_MS);
  const read = async () => {
    const [checks, workingStats, pausedStats] = await Promise.all([totalChecks(env.redis, working.prefix, flowIds), working.worker.stats(), paused.worker.stats()]);
    return { at: Date.now(), checks, workingCpu: workingStats.cpuMs, pausedCpu: pausedStats.cpuMs };
  };
  const before = await read();
  const backlog = await sampleBacklog(working.queue, turnMs);
  const after = await read();
  return {
    rules: working.rules,
    seconds: (after.at - before.at) / 1000,
    checks: after.checks - before.checks,
    cpuMs: after.workingCpu - before.workingCpu,
    pausedCpuMs: after.pausedCpu - before.pausedCpu,
    backlogMin: backlog.length === 0 ? 0 : Math.min(...backlog),
  };
}

function summarise(flows: number, turns: Turn[]): Omit<RulesComparison, 'stateBytes' | 'settleMs' | 'attemptsSeeded' | 'checksInAll' | 'alerts'> {
  const total = (rules: Rules) => {
    const mine = turns.filter((turn) => turn.rules === rules);
    const sum = (pick: (turn: Turn) => number) => mine.reduce((sum, turn) => sum + pick(turn), 0);
    return { rate: sum((turn) => turn.checks) / sum((turn) => turn.seconds), cpu: sum((turn) => turn.cpuMs) / Math.max(1, sum((turn) => turn.checks)) };
  };
  const every = total('every');
  const failed = total('failed');
  const rate = (turn: Turn) => turn.checks / turn.seconds;
  const pairShares: number[] = [];
  for (let index = 0; index + 1 < turns.length; index += 2) {
    const [first, second] = [turns[index] as Turn, turns[index + 1] as Turn];
    const [everyTurn, failedTurn] = first.rules === 'every' ? [first, second] : [second, first];
    pairShares.push(round((100 * rate(everyTurn)) / Math.max(1, rate(failedTurn))));
  }
  return {
    flows,
    turns: turns.map((turn) => ({ ...turn, seconds: round(turn.seconds, 2) })),
    checksPerSecond: { every: round(every.rate), failed: round(failed.rate) },
    cpuMsPerCheck: { every: round(every.cpu, 3), failed: round(failed.cpu, 3) },
    share: round((100 * every.rate) / Math.max(1, failed.rate)),
    pairShares,
    saturated: turns.every((turn) => turn.backlogMin > 0),
  };
}
