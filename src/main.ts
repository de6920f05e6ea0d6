import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CommandContext } from './commands/command.ts';
import type { WatchConfig } from './config/config-schema.ts';
import { createLogger } from './logging/create-logger.ts';
import { createWatchService, type WatchService } from './worker/watch-service.ts';

/**
 * The composition root: the one place that turns the environment into connections and a running service.
 * Commands hand it their context; nothing else opens a connection.
 */

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** A hash tag keeps every key of a queue in one Redis Cluster slot, as BullMQ requires. */
export const DEFAULT_QUEUE_PREFIX = '{portable-watch}';

export interface Runtime {
  service: WatchService;
  redis: Redis;
  log: Logger;
  close(graceMs?: number): Promise<void>;
}

export async function openRuntime(context: CommandContext, config: WatchConfig): Promise<Runtime> {
  const log = createLogger({ level: context.env.LOG_LEVEL || 'info' });
  const redisUrl = context.env.REDIS_URL || DEFAULT_REDIS_URL;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  redis.on('error', (error: Error) => log.warn({ err: { message: error.message } }, 'redis connection error'));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // The URL may hold a password: name only host and port.
    const { hostname, port } = new URL(redisUrl);
    throw new Error(`cannot reach Redis at ${hostname}:${port || 6379} (${error instanceof Error ? error.message : String(error)}): start one, or set REDIS_URL`, { cause: error });
  }
  const prefix = context.env.QUEUE_PREFIX || DEFAULT_QUEUE_PREFIX;
  const service = createWatchService({ config, redis, prefix, log });
  return {
    service,
    redis,
    log,
    async close(graceMs) {
      await service.close(graceMs);
      await redis.quit().catch(() => redis.disconnect());
      log.flush();
    },
  };
}

/**
 * Runs the worker until SIGTERM or SIGINT: then stops taking jobs, lets checks in flight finish (aborting them
 * after a grace period), closes queues and Redis and resolves 0. A second signal exits at once.
 */
export async function runWorker(context: CommandContext, config: WatchConfig): Promise<number> {
  const runtime = await openRuntime(context, config);
  const { log } = runtime;
  const report = await runtime.service.start();
  log.info({ flows: config.flows.length, notifiers: Object.keys(config.notifiers).length, added: report.added.length }, 'worker started');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      runtime.close(7_000).then(
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
