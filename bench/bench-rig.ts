/**
 * One measurement's parts: a Redis prefix of its own, the simulator process, worker processes, and the clean-up
 * that stops them all and deletes the prefix's keys whatever happened.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { forkChild, type ChildLink } from './child-link.ts';
import { BENCH_TOKEN } from './bench-config.ts';
import type { ProcessStats } from './process-stats.ts';
import { benchPrefix, dropPrefix } from './redis-probe.ts';
import type { RequestCounts, SimulatorStart } from './simulator-process.ts';
import type { ScheduleRefreshStart, ScheduleRefreshTimes, WorkerStart, WorkerStarted, WorkerStats } from './worker-process.ts';
import { WORKER_NODE_FLAGS } from '../src/worker/node-flags.ts';

export interface BenchEnv {
  redisUrl: string;
  /** The bench's own connection, for probes. */
  redis: Redis;
  /** Where the children's stdout and stderr (JSON logs) go. */
  logDir: string;
  quick: boolean;
  /** When set, worker processes run with --cpu-prof and write their profiles here. */
  cpuProfDir?: string;
  /** Overrides the watch service's default check concurrency. */
  checkConcurrency?: number;
  /** Extra Node flags for the worker processes. */
  workerFlags: string[];
  /** Experiment: ioredis enableAutoPipelining on the workers' connection. */
  autoPipelining: boolean;
}

export interface SimulatorHandle {
  link: ChildLink;
  url: string;
  /** Attempts seeded at start. */
  attempts: number;
  counts(): Promise<RequestCounts>;
  total(): Promise<number>;
  stats(): Promise<ProcessStats>;
}

export interface WorkerHandle {
  link: ChildLink;
  started: WorkerStarted;
  stats(): Promise<WorkerStats>;
  /** Closes the service (checks in flight finish) and ends the process; returns its last stats. */
  stop(): Promise<ProcessStats>;
}

export interface Rig {
  env: BenchEnv;
  prefix: string;
  startSimulator(flowIds: readonly number[], options?: Omit<SimulatorStart, 'token' | 'flowIds'>): Promise<SimulatorHandle>;
  startWorker(mode: WorkerStart['mode'], configYaml: string, options?: Pick<WorkerStart, 'everyMs' | 'serve'>): Promise<WorkerHandle>;
  /** Times refreshes of Portable's schedules in a worker process of its own, which ends when they are done. */
  refreshSchedules(request: Omit<ScheduleRefreshStart, 'redisUrl' | 'prefix'>): Promise<ScheduleRefreshTimes>;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export async function withRig<Result>(env: BenchEnv, scenario: string, run: (rig: Rig) => Promise<Result>): Promise<Result> {
  const prefix = benchPrefix(scenario);
  const children: ChildLink[] = [];
  let workers = 0;
  const spawn = (module: string, label: string, isWorker: boolean) => {
    const profile = isWorker && env.cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', env.cpuProfDir] : [];
    // Workers run with the product's own V8 flags (as the image and `npm start` do); --worker-flag adds to them.
    const execArgv = isWorker ? [...WORKER_NODE_FLAGS, ...profile, ...env.workerFlags] : [];
    const link = forkChild(here(module), { logPath: join(env.logDir, `${scenario}-${label}.log`), execArgv });
    children.push(link);
    return link;
  };

  const rig: Rig = {
    env,
    prefix,
    async startSimulator(flowIds, options = {}) {
      const link = spawn('./simulator-process.ts', 'simulator', false);
      const start: SimulatorStart = { token: BENCH_TOKEN, flowIds: [...flowIds], ...options };
      const { url, attempts } = await link.request<{ url: string; attempts: number }>('start', start);
      return {
        link,
        url,
        attempts,
        counts: () => link.request<RequestCounts>('counts'),
        total: () => link.request<number>('total'),
        stats: () => link.request<ProcessStats>('stats'),
      };
    },
    async startWorker(mode, configYaml, options = {}) {
      workers += 1;
      const link = spawn('./worker-process.ts', `${mode}-worker-${workers}`, true);
      const start: WorkerStart = {
        mode,
        configYaml,
        redisUrl: env.redisUrl,
        prefix,
        autoPipelining: env.autoPipelining,
        ...options,
        ...(env.checkConcurrency === undefined ? {} : { checkConcurrency: env.checkConcurrency }),
      };
      const started = await link.request<WorkerStarted>('start', start);
      return {
        link,
        started,
        stats: () => link.request<WorkerStats>('stats'),
        async stop() {
          const last = await link.request<ProcessStats>('stop', {}, 60_000);
          await link.stop();
          return last;
        },
      };
    },
    async refreshSchedules(request) {
      workers += 1;
      const link = spawn('./worker-process.ts', `schedules-worker-${workers}`, true);
      const times = await link.request<ScheduleRefreshTimes>('refreshSchedules', { ...request, redisUrl: env.redisUrl, prefix } satisfies ScheduleRefreshStart);
      await link.request('stop', {}, 60_000);
      await link.stop();
      return times;
    },
  };

  try {
    return await run(rig);
  } finally {
    // Workers first, so nothing writes under the prefix while it is deleted.
    for (const child of children.reverse()) {
      await child.request('stop', {}, 30_000).catch(() => undefined);
      await child.stop();
    }
    await dropPrefix(env.redis, prefix);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it is true; false if `timeoutMs` passed first. */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
