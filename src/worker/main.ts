import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { CommandContext } from '../commands/command.ts';
import { createConfigReloader, type ConfigReloader } from '../config/config-reloader.ts';
import type { WatchConfig } from '../config/config-schema.ts';
import { startOperationsServer, type OperationsServer, type Readiness } from '../http/http-server.ts';
import { createLogger, logFormatFrom } from '../logging/create-logger.ts';
import { createWorkerMetrics, type WorkerMetrics } from '../metrics/worker-metrics.ts';
import { connectRedis, redisTargetFrom, scrubSecrets, type RedisConnection } from '../redis/connect-redis.ts';
import { createOutageLog } from '../redis/outage-log.ts';
import { createBasicAuth, parseBasicAuthSetting, type BasicAuth } from '../web/basic-auth.ts';
import type { WorkerHealth } from '../web/status-page-model.ts';
import { createWatchService, DEFAULT_CHECK_CONCURRENCY, type WatchService } from './watch-service.ts';
import { workerStatusPage } from './worker-status-page.ts';

/**
 * The composition root: the one place that turns the environment into connections and a running service.
 * Commands hand it their context; nothing else opens a connection.
 */

export { DEFAULT_QUEUE_PREFIX, DEFAULT_REDIS_URL } from '../redis/connect-redis.ts';
export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_HTTP_HOST = '0.0.0.0';
/** The whole shutdown, signal to exit, fits in this (container runtimes kill after 10 s by default). */
const SHUTDOWN_BUDGET_MS = 9_500;
/** Checks and deliveries in flight get this long to finish before they are aborted. */
const SHUTDOWN_GRACE_MS = 6_000;

export interface Runtime {
  service: WatchService;
  redis: RedisConnection;
  /** QUEUE_PREFIX: BullMQ's and ours. */
  prefix: string;
  log: Logger;
  metrics: WorkerMetrics;
  close(graceMs?: number): Promise<void>;
}

export async function openRuntime(context: CommandContext, config: WatchConfig): Promise<Runtime> {
  // Checked first: a bad LOG_FORMAT is refused before any connection opens.
  const log = createLogger({ level: context.env.LOG_LEVEL || 'info', format: logFormatFrom(context.env, context.stdout) });
  // REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS, and QUEUE_PREFIX; a bad combination stops here.
  const target = redisTargetFrom(context.env);
  // Every setting is checked before the connection opens: a refusal must not leave a socket keeping us alive.
  const checkConcurrency = positiveInteger(context.env, 'CHECK_CONCURRENCY', DEFAULT_CHECK_CONCURRENCY);
  // One outage log for every connection of the process: an outage is told once, whoever notices it.
  let current: RedisConnection | undefined;
  const outage = createOutageLog(log, { scrub: (text) => scrubSecrets(target, text), connected: () => current?.status === 'ready' });
  const connect = async () => (current = await connectRedis(target, { log, role: 'worker', outage }));
  const redis = await connect();
  const { prefix } = target;
  const metrics = createWorkerMetrics({ version: packageVersion(), log, inRedisOutage: () => outage.unsettled() });
  const service = createWatchService({ config, redis, reconnect: connect, outage, prefix, log, metrics, checkConcurrency });
  return {
    service,
    redis,
    prefix,
    log,
    metrics,
    async close(graceMs) {
      await service.close(graceMs);
      await redis.quit().catch(() => redis.disconnect());
      log.flush();
    },
  };
}

/**
 * Runs the worker until SIGTERM or SIGINT: serves /healthz, /readyz and /metrics, reloads the config when its
 * file changes or on SIGHUP, and on a stop signal stops taking jobs, lets work in flight finish (aborting it
 * after a grace period), closes queues and Redis and resolves 0 — all within 10 s. A second signal exits at once.
 */
export async function runWorker(context: CommandContext, config: WatchConfig, configPath: string): Promise<number> {
  const address = httpAddress(context);
  // Read now, next to the load that produced `config`: an edit made while the worker starts is then a change.
  const initialText = await readFile(configPath, 'utf8').catch(() => undefined);
  // SIGHUP's default action ends the process: take it over from the start, reloading once the reloader exists.
  const started: { reloader?: ConfigReloader } = {};
  const onHangup = () => void started.reloader?.reload('signal');
  process.on('SIGHUP', onHangup);
  // Read before any connection opens: a bad UI_BASIC_AUTH is refused without leaving a socket behind.
  const ui = statusPageSettings(context.env);
  const runtime = await openRuntime(context, config);
  const { log, service, metrics } = runtime;
  const phase = { reconciled: false, stopping: false };
  let lastReload: WorkerHealth['reload'] = { result: 'none', at: null, problems: [] };
  const page = ui.enabled
    ? workerStatusPage(service, { prefix: runtime.prefix, log, lastReload: () => lastReload, writeToken: ui.writeToken, basicAuth: ui.basicAuth })
    : undefined;
  let server: OperationsServer;
  try {
    server = await startOperationsServer(
      {
        health: () => service.health(),
        readiness: () => readiness(runtime, phase),
        metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
        ...(page === undefined ? {} : { page }),
      },
      { ...address, log },
    );
  } catch (error) {
    await runtime.close(0);
    throw error;
  }
  log.info({ host: address.host, port: server.port }, 'serving /healthz, /readyz and /metrics');
  if (ui.enabled) {
    const access = [ui.basicAuth === undefined ? 'open' : 'basic auth', ui.writeToken === undefined ? 'read-only' : 'silences can be changed with UI_WRITE_TOKEN'].join(', ');
    log.info({ url: pageUrl(address.host, server.port), access }, 'serving the status page');
  }

  let report: Awaited<ReturnType<WatchService['start']>>;
  try {
    report = await service.start();
  } catch (error) {
    // Nothing may keep the process alive after a failed start: the caller prints the error and exits 1.
    await Promise.allSettled([server.close(), runtime.close(0)]);
    throw error;
  }
  log.info({ flows: config.flows.length, notifiers: Object.keys(config.notifiers).length, added: report.added.length }, 'worker started');

  const reloader = createConfigReloader({
    path: configPath,
    env: context.env,
    ...(initialText === undefined ? {} : { initialText }),
    apply: (next) => service.reload(next),
    log,
    onResult: (outcome) => {
      // A file put back as it runs ends a refusal like a reload that applies: the gauge must not stay 0 until SIGHUP.
      if (outcome.result !== 'unchanged') metrics.configReloaded(outcome.result === 'refused' ? 'failure' : 'success', Date.now());
      if (outcome.result !== 'unchanged') lastReload = { result: outcome.result, at: Date.now(), problems: outcome.result === 'refused' ? outcome.problems : [] };
    },
  });
  started.reloader = reloader;
  reloader.watch();
  // An edit made while the worker started produced no event the watch could see: compare once now.
  void reloader.reload('file-change');
  // Ready only once edits of the config are watched too.
  phase.reconciled = true;

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (phase.stopping) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      phase.stopping = true;
      log.info({ signal }, 'shutting down');
      // A last resort: whatever hangs, the process is gone before a container runtime's SIGKILL.
      setTimeout(() => {
        log.error('shutdown took too long; exiting');
        log.flush();
        process.exit(1);
      }, SHUTDOWN_BUDGET_MS).unref();
      process.off('SIGHUP', onHangup);
      shutdown(runtime, reloader, server).then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

async function shutdown(runtime: Runtime, reloader: ConfigReloader, server: OperationsServer): Promise<void> {
  await Promise.all([reloader.close(), server.close()]);
  await runtime.close(SHUTDOWN_GRACE_MS);
}

async function readiness(runtime: Runtime, phase: { reconciled: boolean; stopping: boolean }): Promise<Readiness> {
  if (phase.stopping) return { ready: false, reason: 'shutting down' };
  const answered = await Promise.race([
    runtime.service.redis.ping().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 1_000).unref()),
  ]);
  if (!answered) return { ready: false, reason: 'Redis does not answer' };
  if (!phase.reconciled) return { ready: false, reason: 'reconciling the schedules with the config' };
  // Redis answering is not enough: after a restart without persistence it answers with none of our state.
  if (!(await runtime.service.stateIntact().catch(() => false))) return { ready: false, reason: 'schedules missing' };
  return { ready: true };
}

/**
 * UI_ENABLED (default true; false leaves the probes and /metrics), UI_BASIC_AUTH (user:bcrypt-or-argon2-hash) and
 * UI_WRITE_TOKEN (lets the page add and remove silences).
 */
function statusPageSettings(env: CommandContext['env']): { enabled: boolean; basicAuth?: BasicAuth; writeToken?: string } {
  const enabled = (env.UI_ENABLED ?? '').trim().toLowerCase();
  if (!['', 'true', 'false', '1', '0', 'yes', 'no'].includes(enabled)) throw new Error(`UI_ENABLED must be true or false, got "${env.UI_ENABLED ?? ''}"`);
  if (['false', '0', 'no'].includes(enabled)) return { enabled: false };
  const auth = env.UI_BASIC_AUTH?.trim() ?? '';
  const token = env.UI_WRITE_TOKEN ?? '';
  if (token !== '' && token.length < 12) throw new Error('UI_WRITE_TOKEN must be at least 12 characters (e.g. `openssl rand -hex 16`)');
  return {
    enabled: true,
    ...(auth === '' ? {} : { basicAuth: createBasicAuth(parseBasicAuthSetting(auth)) }),
    ...(token === '' ? {} : { writeToken: token }),
  };
}

/** Where a person on this machine opens the page: a wildcard address is reached through localhost. */
export function pageUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}

function httpAddress(context: CommandContext): { host: string; port: number } {
  const host = context.env.HTTP_HOST || DEFAULT_HTTP_HOST;
  const raw = context.env.HTTP_PORT || String(DEFAULT_HTTP_PORT);
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) throw new Error(`HTTP_PORT must be a port number from 0 to 65535, got "${raw}"`);
  return { host, port };
}

function positiveInteger(env: CommandContext['env'], name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 10_000) throw new Error(`${name} must be a whole number from 1 to 10000, got "${raw}"`);
  return value;
}

/** From package.json two levels up (src/worker/ in a checkout) or three (dist/src/worker/ in the image). */
function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'portable-watch' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // Not there: try the next place.
    }
  }
  return 'unknown';
}
