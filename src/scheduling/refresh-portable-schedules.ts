import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PortableSchedule } from '../detection/schedule.ts';
import type { Flow } from '../portable/normalise-flow.ts';
import { PortableApiError } from '../portable/portable-error.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { isConnectionError } from '../redis/outage-log.ts';
import { portableSchedulesKey } from '../state/flow-state-store.ts';

/**
 * Portable's own schedule of each watched flow (`frequency`, or `cron` which overrides it), read with one
 * `GET /v2/flows` per refresh and kept in Redis, where every replica's checks read it in the round trip that begins
 * them. Flows the list leaves out (and every flow, when the list endpoint is refused) are read one by one with
 * `GET /v2/flows/{id}`. A failed refresh keeps what is known: a schedule never disappears because of one bad answer.
 */

/** The part of the Portable client a refresh uses. */
export interface ScheduleClient {
  listFlows(options?: { signal?: AbortSignal }): Promise<Flow[]>;
  getFlow(flowId: number, options?: { signal?: AbortSignal }): Promise<Flow>;
}

export interface ScheduleRefresherOptions {
  redis: () => RedisConnection;
  prefix: string;
  client: () => ScheduleClient;
  /** The flows watched now. */
  flowIds: () => readonly number[];
  /** How often Portable is asked (`scheduleRefresh`). */
  every: () => number;
  log: Logger;
  now?: () => number;
  /** How often a replica looks whether a refresh is due; default a tenth of `every`, between 1 s and 30 s. */
  tickMs?: number;
}

export interface RefreshReport {
  outcome: 'refreshed' | 'failed' | 'skipped';
  /** Watched flows with a schedule now known (including `{}`: Portable said none). */
  flows: number;
  requests: number;
  durationMs: number;
}

export interface ScheduleRefresher {
  /** Refreshes at once when due (never done, or older than `every`), then looks again every tick. */
  start(): void;
  /** One refresh of every watched flow now, whoever did the last one. */
  refresh(): Promise<RefreshReport>;
  /** Reads, one by one, the flows whose schedule Redis does not hold yet (flows just added, a one-off check). */
  refreshMissing(flowIds?: readonly number[]): Promise<number>;
  close(): Promise<void>;
}

/** Flows read one by one at once, when the list leaves them out. */
const ONE_BY_ONE_CONCURRENCY = 4;
/** How long closing waits for a refresh in flight. */
const CLOSE_WAIT_MS = 1_000;
/** Fields written per HSET. */
const WRITE_BATCH = 1_000;
/** Errors of `GET /v2/flows` that say the endpoint itself is not there for this token: read flows one by one. */
const LIST_REFUSED = new Set(['not-found', 'bad-request', 'malformed', 'forbidden']);

export function createScheduleRefresher(options: ScheduleRefresherOptions): ScheduleRefresher {
  const { prefix, log } = options;
  const now = options.now ?? Date.now;
  const key = portableSchedulesKey(prefix);
  const refreshedKey = `${prefix}:schedules:refreshed`;
  const lockKey = `${prefix}:schedules:lock`;
  const owner = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const abort = new AbortController();

  const write = async (entries: ReadonlyMap<number, PortableSchedule>, watched: ReadonlySet<number> | undefined) => {
    const redis = options.redis();
    const fields = [...entries].map(([id, schedule]) => [String(id), JSON.stringify(schedule)] as const);
    const pipeline = redis.pipeline();
    for (let index = 0; index < fields.length; index += WRITE_BATCH) pipeline.hset(key, Object.fromEntries(fields.slice(index, index + WRITE_BATCH)));
    if (watched !== undefined) {
      // Flows no longer watched lose their entry (removing a flow deletes it too; this catches any left behind).
      const stale = (await redis.hkeys(key)).filter((field) => !watched.has(Number(field)));
      for (let index = 0; index < stale.length; index += WRITE_BATCH) pipeline.hdel(key, ...stale.slice(index, index + WRITE_BATCH));
      pipeline.set(refreshedKey, String(now()));
    }
    await pipeline.exec();
  };

  const readOneByOne = async (flowIds: readonly number[]) => {
    const found = new Map<number, PortableSchedule>();
    let requests = 0;
    const queue = [...flowIds];
    const worker = async () => {
      for (let flowId = queue.shift(); flowId !== undefined; flowId = queue.shift()) {
        requests += 1;
        try {
          found.set(flowId, scheduleOf(await options.client().getFlow(flowId, { signal: abort.signal })));
        } catch (error) {
          // The flow's own checks report a flow Portable does not know or refuses; here it only keeps what is known.
          if (!(error instanceof PortableApiError)) throw error;
          log.debug({ flowId, err: error.message }, 'could not read the flow schedule');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ONE_BY_ONE_CONCURRENCY, queue.length) }, worker));
    return { found, requests };
  };

  const refresh = async (): Promise<RefreshReport> => {
    const startedAt = now();
    const watched = new Set(options.flowIds());
    // Every flow sets its own schedule (or detects no missed runs): nothing to ask Portable.
    if (watched.size === 0) {
      await write(new Map(), watched);
      return { outcome: 'skipped', flows: 0, requests: 0, durationMs: now() - startedAt };
    }
    let listed: Flow[] | undefined;
    let requests = 1;
    try {
      listed = await options.client().listFlows({ signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) return { outcome: 'skipped', flows: 0, requests, durationMs: now() - startedAt };
      if (!(error instanceof PortableApiError) || !LIST_REFUSED.has(error.kind)) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not read flow schedules from Portable; keeping the last known');
        return { outcome: 'failed', flows: 0, requests, durationMs: now() - startedAt };
      }
      log.info({ err: error.message }, 'GET /v2/flows refused; reading each flow schedule on its own');
    }
    const entries = new Map<number, PortableSchedule>();
    for (const flow of listed ?? []) if (watched.has(flow.id)) entries.set(flow.id, scheduleOf(flow));
    const oneByOne = await readOneByOne([...watched].filter((flowId) => !entries.has(flowId)));
    for (const [flowId, schedule] of oneByOne.found) entries.set(flowId, schedule);
    requests += oneByOne.requests;
    await write(entries, watched);
    const report: RefreshReport = { outcome: 'refreshed', flows: entries.size, requests, durationMs: now() - startedAt };
    log.info({ flows: report.flows, requests: report.requests, durationMs: report.durationMs }, 'flow schedules read from Portable');
    return report;
  };

  /** A refresh by this replica when one is due and no other replica is doing it. */
  const refreshIfDue = async () => {
    const redis = options.redis();
    const last = Number(await redis.get(refreshedKey));
    if (Number.isFinite(last) && last > 0 && now() - last < options.every()) return;
    if ((await redis.set(lockKey, owner, 'PX', Math.max(options.every(), 60_000), 'NX')) !== 'OK') return;
    try {
      await refresh();
    } finally {
      await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, lockKey, owner);
    }
  };

  const tick = () => {
    if (running !== undefined || abort.signal.aborted) return;
    running = refreshIfDue()
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        // Redis away: the connection tells the outage once.
        if (isConnectionError(error)) log.debug({ err: error }, 'schedule refresh skipped');
        else log.warn({ err: error instanceof Error ? error.message : String(error) }, 'schedule refresh failed');
      })
      .finally(() => {
        running = undefined;
      });
  };

  return {
    start() {
      tick();
      const every = options.tickMs ?? Math.min(30_000, Math.max(1_000, Math.floor(options.every() / 10)));
      timer = setInterval(tick, every);
      timer.unref();
    },
    refresh,
    async refreshMissing(flowIds = options.flowIds()) {
      if (flowIds.length === 0) return 0;
      const held = await options.redis().hmget(key, ...flowIds.map(String));
      const missing = flowIds.filter((_flowId, index) => held[index] === null);
      if (missing.length === 0) return 0;
      const { found } = await readOneByOne(missing);
      if (found.size > 0) await write(found, undefined);
      return found.size;
    },
    async close() {
      clearInterval(timer);
      abort.abort();
      // A refresh waiting on a Redis that is away must not hold a shutdown: it is given a moment, then left.
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (deadline = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(deadline);
    },
  };
}

/** What a check needs of a flow: its `cron`, else its `frequency`; `{}` when Portable gives neither. */
function scheduleOf(flow: Flow): PortableSchedule {
  return {
    ...(flow.frequency === undefined ? {} : { frequency: flow.frequency }),
    ...(flow.cron === undefined ? {} : { cron: flow.cron }),
  };
}
