/**
 * One worker as a process of its own, so its RSS and CPU are its own: either the real watch service built as
 * src/main.ts builds it (parseConfig + createWatchService, default concurrency, JSON logs at info), or the bare
 * loop — the irreducible work of a check: a BullMQ job per flow, from the same Job Schedulers, that makes the
 * same got request (same URL shape, same headers, same options) and nothing else.
 */
import { DEFAULT_ACCOUNT } from '../src/accounts/flow-ref.ts';
import { Queue, Worker } from 'bullmq';
import got from 'got';
import { Redis } from 'ioredis';
import type { WatchConfig } from '../src/config/config-schema.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { startOperationsServer, type OperationsServer } from '../src/http/http-server.ts';
import { CHECKPOINT_OVERLAP_MS } from '../src/detection/detect-run-events.ts';
import { createLogger } from '../src/logging/create-logger.ts';
import { createWorkerMetrics } from '../src/metrics/worker-metrics.ts';
import { createPortableClient, DEFAULT_TIMEOUT_MS } from '../src/portable/portable-client.ts';
import { CHECK_QUEUE, reconcileSchedules, type CheckJobData, type ReconcileReport } from '../src/scheduling/reconcile-schedules.ts';
import { createScheduleRefresher, type RefreshReport } from '../src/scheduling/refresh-portable-schedules.ts';
import { createWatchService, DEFAULT_CHECK_CONCURRENCY, type WatchService } from '../src/worker/watch-service.ts';
import { workerStatusPage } from '../src/worker/worker-status-page.ts';
import { serveRequests } from './child-link.ts';
import { processStats, type ProcessStats } from './process-stats.ts';

export interface WorkerStart {
  mode: 'watch' | 'bare';
  configYaml: string;
  redisUrl: string;
  prefix: string;
  /** Default: the product's default (the watch service's own). */
  checkConcurrency?: number;
  /**
   * The schedulers' interval, below the config's 1 s minimum, so that demand stays above capacity on a fast
   * machine (both modes get the same). Default: each flow's pollEvery.
   */
  everyMs?: number;
  /** Experiment; src/main.ts opens its connection without it. */
  autoPipelining: boolean;
  /** Watch mode: also serve the status page and /metrics on a free loopback port, wired as runWorker wires them. */
  serve?: boolean;
}

export interface WorkerStarted {
  reconcile: ReconcileReport;
  /** From the start request to both workers running, reconciliation included. */
  startMs: number;
  /** With `serve`: the port of the status page and /metrics on 127.0.0.1. */
  httpPort?: number;
}

/** Refreshes of Portable's schedules, timed in this process (no watch service: nothing else competes for it). */
export interface ScheduleRefreshStart {
  redisUrl: string;
  prefix: string;
  apiUrl: string;
  token: string;
  flowIds: number[];
  /** Refreshes in a row; the first runs on a cold process and an empty hash. */
  times: number;
}

export interface ScheduleRefreshTimes {
  /** Each refresh end to end (GET /v2/flows, then the writes to Redis), in ms, with the refresher's own report. */
  refreshes: Array<{ ms: number; report: RefreshReport }>;
  /** GET /v2/flows alone (request, JSON parsing, normalising), after the refreshes, in ms. */
  listOnlyMs: number[];
}

export interface WorkerStats extends ProcessStats {
  /** Portable requests this process made (the bare loop: one per job). */
  requests: number;
  /** Commands sent on the shared connection, by name (BullMQ's blocking connection is a separate one, not counted). */
  redisCommands: Record<string, number>;
  /** Socket writes on the shared connection: one per command, or one per pipeline. */
  redisWrites: number;
}


const log = createLogger({ level: 'info' });
let requests = 0;
let redis: Redis | undefined;
let closeRunning: (() => Promise<void>) | undefined;

const redisCommands: Record<string, number> = {};
let redisWrites = 0;

/** Counts what this process asks of Redis on the shared connection, to compare the watch service with the bare loop. */
function countRedisTraffic(connection: Redis): void {
  const send = connection.sendCommand.bind(connection);
  connection.sendCommand = (command, stream) => {
    redisCommands[command.name] = (redisCommands[command.name] ?? 0) + 1;
    return send(command, stream);
  };
  connection.on('ready', () => {
    const socket = connection.stream;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = (...args: unknown[]) => {
      redisWrites += 1;
      return write(...args);
    };
  });
}

function loadConfig(text: string): WatchConfig {
  const result = parseConfig(text, {}, 'bench.yaml');
  if (!result.ok) throw new Error(`bench config invalid:\n${result.problems.join('\n')}`);
  return result.config;
}

async function startWatch(config: WatchConfig, start: WorkerStart, connection: Redis): Promise<{ reconcile: ReconcileReport; httpPort?: number }> {
  const every = start.everyMs;
  const metrics = start.serve === true ? createWorkerMetrics({ version: 'bench', log }) : undefined;
  const service = createWatchService({
    config: every === undefined ? config : { ...config, flows: config.flows.map((flow) => ({ ...flow, pollEvery: every })) },
    redis: connection,
    prefix: start.prefix,
    log,
    ...(metrics === undefined ? {} : { metrics }),
    ...(start.checkConcurrency === undefined ? {} : { checkConcurrency: start.checkConcurrency }),
    client: { onRequest: () => (requests += 1) },
  });
  closeRunning = () => service.close();
  const reconcile = await service.start();
  if (metrics === undefined) return { reconcile };
  const server = await serveStatusPage(service, start.prefix, async () => ({ contentType: metrics.contentType, body: await metrics.render() }));
  closeRunning = async () => {
    await server.close();
    await service.close();
  };
  return { reconcile, httpPort: server.port };
}

/** The status page (its one wiring, as runWorker uses it: open, read-only) and /metrics, on loopback. */
function serveStatusPage(service: WatchService, prefix: string, metrics: () => Promise<{ contentType: string; body: string }>): Promise<OperationsServer> {
  const page = workerStatusPage(service, { prefix, log });
  const endpoints = { health: () => service.health(), readiness: () => Promise.resolve({ ready: true as const }), metrics, page };
  return startOperationsServer(endpoints, { host: '127.0.0.1', port: 0, log });
}

async function startBare(config: WatchConfig, start: WorkerStart, connection: Redis): Promise<ReconcileReport> {
  const queue = new Queue<CheckJobData>(CHECK_QUEUE, { connection, prefix: start.prefix });
  const flows = config.flows.map((flow) => ({ id: flow.id, account: flow.account, pollEvery: start.everyMs ?? flow.pollEvery }));
  const report = await reconcileSchedules({ queue, redis: connection, lockKey: `${start.prefix}:reconcile-lock`, flows, log });
  const account = config.accounts.default;
  if (account === undefined) throw new Error('the bench config has no portable: section');
  const base = account.apiUrl;
  const headers = { authorization: `Bearer ${account.token}`, accept: 'application/json', 'user-agent': 'portable-watch' };
  const worker = new Worker<CheckJobData>(
    CHECK_QUEUE,
    async (job, _token, signal) => {
      // The URL a quiet check asks for: first page, newest first, from the checkpoint minus the overlap.
      const params = new URLSearchParams({ limit: '100', offset: '0', sort: 'desc' });
      params.set('startTime', new Date(Date.now() - CHECKPOINT_OVERLAP_MS).toISOString());
      await got.get(`${base}/v2/flows/${job.data.flowId}/run?${params.toString()}`, {
        headers,
        timeout: { request: DEFAULT_TIMEOUT_MS },
        retry: { limit: 0 },
        throwHttpErrors: false,
        responseType: 'text',
        ...(signal === undefined ? {} : { signal }),
      });
      requests += 1;
    },
    { connection, prefix: start.prefix, concurrency: start.checkConcurrency ?? DEFAULT_CHECK_CONCURRENCY },
  );
  closeRunning = async () => {
    await worker.close();
    await queue.close();
  };
  return report;
}

async function refreshSchedules(start: ScheduleRefreshStart): Promise<ScheduleRefreshTimes> {
  const connection = new Redis(start.redisUrl, { maxRetriesPerRequest: null });
  redis = connection;
  // The client and refresher as the watch service builds them.
  const client = createPortableClient({ token: start.token, apiUrl: start.apiUrl, onRequest: () => (requests += 1) });
  const refresher = createScheduleRefresher({ redis: () => connection, prefix: start.prefix, client: () => client, flows: () => start.flowIds.map((id) => ({ account: DEFAULT_ACCOUNT, id })), every: () => 600_000, log });
  const refreshes: ScheduleRefreshTimes['refreshes'] = [];
  for (let index = 0; index < start.times; index += 1) {
    const startedAt = performance.now();
    const report = await refresher.refresh();
    refreshes.push({ ms: Math.round(performance.now() - startedAt), report });
  }
  await refresher.close();
  const listOnlyMs: number[] = [];
  for (let index = 0; index < 3; index += 1) {
    const startedAt = performance.now();
    await client.listFlows();
    listOnlyMs.push(Math.round(performance.now() - startedAt));
  }
  return { refreshes, listOnlyMs };
}

async function stop(): Promise<void> {
  const closing = closeRunning;
  closeRunning = undefined;
  await closing?.();
  await redis?.quit().catch(() => redis?.disconnect());
  redis = undefined;
  log.flush();
}

serveRequests(
  {
    async start(start: WorkerStart): Promise<WorkerStarted> {
      const startedAt = performance.now();
      const config = loadConfig(start.configYaml);
      redis = new Redis(start.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: start.autoPipelining });
      countRedisTraffic(redis);
      const started = start.mode === 'watch' ? await startWatch(config, start, redis) : { reconcile: await startBare(config, start, redis) };
      return { ...started, startMs: Math.round(performance.now() - startedAt) };
    },
    refreshSchedules,
    stats: (): WorkerStats => ({ ...processStats(), requests, redisCommands: { ...redisCommands }, redisWrites }),
    stop: async () => {
      await stop();
      return processStats();
    },
  },
  stop,
);
