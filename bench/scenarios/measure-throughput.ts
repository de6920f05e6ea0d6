/**
 * Sustained check throughput of one or more worker processes, watch service or bare loop, against the
 * simulator in its own process.
 *
 * Load shape: Job Schedulers, one per flow — the product's own shape, so the cost of BullMQ creating each
 * next job is counted as in production. Each scheduler keeps one job and skips the slots it missed, so a
 * worker slower than the demand always finds a flow due: the rate it sustains is its capacity. A worker
 * faster than the demand would only show the demand, so the ready backlog is sampled every second, and a
 * figure whose backlog ever reached 0 is flagged as a lower bound. Both the watch service and the bare loop
 * run their schedulers every 500 ms (4,000 checks/s of demand for 2,000 flows), below the config's 1 s minimum:
 * at 1 s the demand (2,000/s) is within a quiet machine's reach, and the figure would show the demand, not
 * the capacity. Enqueueing jobs directly would saturate both, but would leave out the scheduler's work and add
 * a producer process competing for the same two cores.
 */
import { Queue } from 'bullmq';
import { CHECK_QUEUE } from '../../src/scheduling/reconcile-schedules.ts';
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { sleep, withRig, type BenchEnv, type WorkerHandle } from '../bench-rig.ts';
import { cpuPercent, type ProcessStats } from '../process-stats.ts';
import type { WorkerStats } from '../worker-process.ts';
import { startSlackReceiver } from '../slack-receiver.ts';
import { commandCalls, commandsPerCheck, redisCpuMs, round, totalChecks } from '../redis-probe.ts';

export interface ThroughputOptions {
  mode: 'watch' | 'bare';
  flows: number;
  workers: number;
  latencyMs: number;
  warmupMs: number;
  windowMs: number;
  label: string;
}

export interface ThroughputMeasurement {
  mode: 'watch' | 'bare';
  workers: number;
  flows: number;
  latencyMs: number;
  /** Scheduler interval. */
  everyMs: number;
  windowS: number;
  /** Watch service: committed checks; bare loop: finished jobs (one request each). */
  checksPerSecond: number;
  /** As the simulator counted them. */
  requestsPerSecond: number;
  requestsPerCheck: number;
  workerCpuPercent: number[];
  /** Worker CPU (all workers) per check. */
  workerCpuMsPerCheck: number;
  simulatorCpuPercent: number;
  redisCpuPercent: number;
  /** Ready checks (wait list) sampled once a second during the window. */
  backlog: { min: number; mean: number; samples: number };
  /** Checks were waiting at every sample: the figure is capacity, not demand. */
  saturated: boolean;
  /** Commands the workers sent per check, by name, on their shared connections (the round trips a check costs). */
  workerRedisCommandsPerCheck: Record<string, number>;
  workerRedisCommandsPerCheckTotal: number;
  /** Socket writes per check on those connections. */
  workerRedisWritesPerCheck: number;
  /** Commands Redis executed per check, scripts' inner calls included; server-wide, so other clients add noise. */
  redisServerCommandsPerCheck: Record<string, number>;
  workerRssMb: number[];
  /** Slack posts received: 0, since nothing failed. */
  alerts: number;
}

interface Snapshot {
  at: number;
  checks: number;
  requests: number;
  workers: WorkerStats[];
  simulator: ProcessStats;
  redisCpuMs: number;
  commands: Map<string, number>;
}

/** The schedulers' interval, watch service and bare loop alike; see above. */
export const EVERY_MS = 500;

export async function measureThroughput(env: BenchEnv, options: ThroughputOptions): Promise<ThroughputMeasurement> {
  // Flows notify Slack as a real config's do (a check's cost depends on it), though nothing here should alert.
  const receiver = await startSlackReceiver();
  try {
    const measurement = await measureWith(env, options, receiver.webhookUrl);
    return { ...measurement, alerts: receiver.posts.length };
  } finally {
    await receiver.close();
  }
}

async function measureWith(env: BenchEnv, options: ThroughputOptions, webhookUrl: string): Promise<ThroughputMeasurement> {
  return withRig(env, options.label, async (rig) => {
    const flowIds = benchFlowIds(options.flows);
    const simulator = await rig.startSimulator(flowIds, { latencyMs: options.latencyMs });
    const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: '1s', webhookUrl });
    const workers: WorkerHandle[] = [];
    const every = { everyMs: EVERY_MS };
    for (let index = 0; index < options.workers; index += 1) workers.push(await rig.startWorker(options.mode, yaml, every));
    const queue = new Queue(CHECK_QUEUE, { connection: env.redis, prefix: rig.prefix });
    try {
      await sleep(options.warmupMs);
      const snapshot = async (): Promise<Snapshot> => {
        const [workerStats, simulatorStats, requests, cpu, commands] = await Promise.all([
          Promise.all(workers.map((worker) => worker.stats())),
          simulator.stats(),
          simulator.total(),
          redisCpuMs(env.redis),
          commandCalls(env.redis),
        ]);
        const checks =
          options.mode === 'watch' ? await totalChecks(env.redis, rig.prefix, flowIds) : workerStats.reduce((sum, stats) => sum + stats.requests, 0);
        return { at: Date.now(), checks, requests, workers: workerStats, simulator: simulatorStats, redisCpuMs: cpu, commands };
      };
      const before = await snapshot();
      const backlog = await sampleBacklog(queue, options.windowMs);
      const after = await snapshot();
      return summarise(options, before, after, backlog);
    } finally {
      await queue.close();
      for (const worker of workers) await worker.stop();
    }
  });
}

/** Ready checks (wait list) once a second for `windowMs`. */
export async function sampleBacklog(queue: Queue, windowMs: number): Promise<number[]> {
  const samples: number[] = [];
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    await sleep(Math.min(1_000, end - Date.now()));
    const counts = await queue.getJobCounts('wait', 'prioritized');
    samples.push((counts.wait ?? 0) + (counts.prioritized ?? 0));
  }
  return samples;
}

function summarise(options: ThroughputOptions, before: Snapshot, after: Snapshot, backlog: number[]): ThroughputMeasurement {
  const seconds = (after.at - before.at) / 1000;
  const checks = after.checks - before.checks;
  const requests = after.requests - before.requests;
  const workerCpuMs = after.workers.reduce((sum, stats, index) => sum + stats.cpuMs - (before.workers[index]?.cpuMs ?? 0), 0);
  const backlogMin = backlog.length === 0 ? 0 : Math.min(...backlog);
  return {
    mode: options.mode,
    workers: options.workers,
    flows: options.flows,
    latencyMs: options.latencyMs,
    everyMs: EVERY_MS,
    windowS: round(seconds, 1),
    checksPerSecond: round(checks / seconds),
    requestsPerSecond: round(requests / seconds),
    requestsPerCheck: round(requests / Math.max(1, checks), 3),
    workerCpuPercent: after.workers.map((stats, index) => round(before.workers[index] ? cpuPercent(before.workers[index], stats) : 0)),
    workerCpuMsPerCheck: round(workerCpuMs / Math.max(1, checks), 3),
    simulatorCpuPercent: round(cpuPercent(before.simulator, after.simulator)),
    redisCpuPercent: round((100 * (after.redisCpuMs - before.redisCpuMs)) / (after.at - before.at)),
    backlog: { min: backlogMin, mean: round(backlog.reduce((sum, value) => sum + value, 0) / Math.max(1, backlog.length)), samples: backlog.length },
    saturated: backlog.length > 0 && backlogMin > 0,
    ...workerRedisTraffic(before.workers, after.workers, checks),
    redisServerCommandsPerCheck: commandsPerCheck(before.commands, after.commands, checks),
    workerRssMb: after.workers.map((stats) => round(stats.rssBytes / 2 ** 20)),
    alerts: 0,
  };
}

function workerRedisTraffic(before: WorkerStats[], after: WorkerStats[], checks: number) {
  const sum = (stats: WorkerStats[]) => {
    const commands = new Map<string, number>();
    for (const each of stats) for (const [name, count] of Object.entries(each.redisCommands)) commands.set(name, (commands.get(name) ?? 0) + count);
    return commands;
  };
  const writes = (stats: WorkerStats[]) => stats.reduce((total, each) => total + each.redisWrites, 0);
  const perCheck = commandsPerCheck(sum(before), sum(after), checks);
  return {
    workerRedisCommandsPerCheck: perCheck,
    workerRedisCommandsPerCheckTotal: round(Object.values(perCheck).reduce((total, value) => total + value, 0), 2),
    workerRedisWritesPerCheck: round((writes(after) - writes(before)) / Math.max(1, checks), 2),
  };
}
