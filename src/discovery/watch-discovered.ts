import type { Logger } from 'pino';
import { flowKey } from '../accounts/flow-ref.ts';
import type { FlowConfig, WatchConfig } from '../config/config-schema.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { isConnectionError } from '../redis/outage-log.ts';
import { discoveredVersionKey, readDiscovered } from './discovery-refresher.ts';
import { discoveredFlowConfig } from './match-discovery.ts';

/*
 * Every replica's side of discovery: it looks at the version the refreshing replica writes, and when it moved, reads
 * the discovered flows and hands them, with their rule's settings, to the watch service, which schedules the new ones
 * and drops the others with their state.
 */

export interface WatchDiscoveredOptions {
  redis: () => RedisConnection;
  prefix: string;
  config: () => Pick<WatchConfig, 'discover' | 'flows'>;
  /** Applies the discovered flows (all of them, not a difference). */
  apply: (flows: FlowConfig[]) => Promise<void>;
  log: Logger;
  /** How often the version is looked at; default 2 s. */
  everyMs?: number;
}

export interface WatchDiscovered {
  /**
   * The discovered flows as Redis holds them now, taken as seen: what a starting replica reconciles with, so that its
   * start does not drop the flows (and the state) other replicas watch.
   */
  load(): Promise<FlowConfig[]>;
  start(): void;
  /** Reads and applies now, even when the version did not move (a config reload changed the rules). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export function watchDiscovered(options: WatchDiscoveredOptions): WatchDiscovered {
  const { prefix, log } = options;
  let seen: string | null | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const read = async (): Promise<{ version: string | null; flows: FlowConfig[] }> => {
    const redis = options.redis();
    const version = await redis.get(discoveredVersionKey(prefix));
    const config = options.config();
    const explicit = new Set(config.flows.map(flowKey));
    const flows = (await readDiscovered(redis, prefix)).flatMap((flow) => {
      // Listed under flows: since (its own entry wins), or found by a rule a reload removed: not watched through discovery.
      if (explicit.has(flowKey(flow)) || !config.discover.some((rule) => rule.index === flow.rule && rule.account === flow.account)) return [];
      return [discoveredFlowConfig(flow, config.discover)];
    });
    return { version, flows };
  };

  const sync = async (force: boolean) => {
    if (!force && (await options.redis().get(discoveredVersionKey(prefix))) === seen) return;
    const { version, flows } = await read();
    await options.apply(flows);
    seen = version;
  };

  const tick = () => {
    if (running !== undefined || closed) return;
    running = sync(false)
      .catch((error: unknown) => {
        if (isConnectionError(error)) log.debug({ err: error }, 'could not read the discovered flows');
        else log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not apply the discovered flows');
      })
      .finally(() => {
        running = undefined;
      });
  };

  return {
    async load() {
      const { version, flows } = await read();
      seen = version;
      return flows;
    },
    start() {
      tick();
      timer = setInterval(tick, options.everyMs ?? 2_000);
      timer.unref();
    },
    async sync() {
      await running;
      await sync(true);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
