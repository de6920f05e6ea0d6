import { flowKey, type FlowKey, type FlowRef } from '../accounts/flow-ref.ts';
import type { Logger } from 'pino';
import type { PortableSchedule } from '../detection/schedule.ts';
import type { Flow } from '../portable/normalise-flow.ts';
import { PortableApiError } from '../portable/portable-error.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { createSharedRefresh } from './shared-refresh.ts';
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
  /** The client of each account. */
  client: (account: string) => ScheduleClient;
  /** The flows watched now. */
  flows: () => readonly FlowRef[];
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
  refreshMissing(flows?: readonly FlowRef[]): Promise<number>;
  close(): Promise<void>;
}

/** Flows read one by one at once, when the list leaves them out. */
const ONE_BY_ONE_CONCURRENCY = 4;
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
  const shared = createSharedRefresh({
    redis: options.redis,
    refreshedKey,
    lockKey,
    every: options.every,
    run: () => refresh(),
    log,
    messages: { skipped: 'schedule refresh skipped', failed: 'schedule refresh failed' },
    now,
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
  });

  const write = async (entries: ReadonlyMap<FlowKey, PortableSchedule>, watched: ReadonlySet<FlowKey> | undefined) => {
    const redis = options.redis();
    const fields = [...entries].map(([key, schedule]) => [key, JSON.stringify(schedule)] as const);
    const pipeline = redis.pipeline();
    for (let index = 0; index < fields.length; index += WRITE_BATCH) pipeline.hset(key, Object.fromEntries(fields.slice(index, index + WRITE_BATCH)));
    if (watched !== undefined) {
      // Flows no longer watched lose their entry (removing a flow deletes it too; this catches any left behind).
      const stale = (await redis.hkeys(key)).filter((field) => !watched.has(field));
      for (let index = 0; index < stale.length; index += WRITE_BATCH) pipeline.hdel(key, ...stale.slice(index, index + WRITE_BATCH));
      pipeline.set(refreshedKey, String(now()));
    }
    await pipeline.exec();
  };

  const readOneByOne = async (flows: readonly FlowRef[]) => {
    const found = new Map<FlowKey, PortableSchedule>();
    let requests = 0;
    const queue = [...flows];
    const worker = async () => {
      for (let flow = queue.shift(); flow !== undefined; flow = queue.shift()) {
        requests += 1;
        try {
          found.set(flowKey(flow), scheduleOf(await options.client(flow.account).getFlow(flow.id, { signal: shared.signal })));
        } catch (error) {
          // The flow's own checks report a flow Portable does not know or refuses; here it only keeps what is known.
          if (!(error instanceof PortableApiError)) throw error;
          log.debug({ account: flow.account, flowId: flow.id, err: error.message }, 'could not read the flow schedule');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ONE_BY_ONE_CONCURRENCY, queue.length) }, worker));
    return { found, requests };
  };

  /** One account's watched flows: one `GET /v2/flows`, then one by one what it leaves out (or all, when refused). */
  const refreshAccount = async (account: string, flows: readonly FlowRef[], entries: Map<FlowKey, PortableSchedule>) => {
    let listed: Flow[] | undefined;
    const requests = 1;
    try {
      listed = await options.client(account).listFlows({ signal: shared.signal });
    } catch (error) {
      if (shared.signal.aborted) return { ok: false, requests };
      if (!(error instanceof PortableApiError) || !LIST_REFUSED.has(error.kind)) {
        log.warn({ account, err: error instanceof Error ? error.message : String(error) }, 'could not read flow schedules from Portable; keeping the last known');
        return { ok: false, requests };
      }
      log.info({ account, err: error.message }, 'GET /v2/flows refused; reading each flow schedule on its own');
    }
    const wanted = new Set(flows.map((flow) => flow.id));
    for (const flow of listed ?? []) if (wanted.has(flow.id)) entries.set(flowKey({ account, id: flow.id }), scheduleOf(flow));
    const oneByOne = await readOneByOne(flows.filter((flow) => !entries.has(flowKey(flow))));
    for (const [key, schedule] of oneByOne.found) entries.set(key, schedule);
    return { ok: true, requests: requests + oneByOne.requests };
  };

  const refresh = async (): Promise<RefreshReport> => {
    const startedAt = now();
    const flows = options.flows();
    const watched = new Set(flows.map(flowKey));
    // Every flow sets its own schedule (or detects no missed runs): nothing to ask Portable.
    if (watched.size === 0) {
      await write(new Map(), watched);
      return { outcome: 'skipped', flows: 0, requests: 0, durationMs: now() - startedAt };
    }
    const byAccount = Map.groupBy(flows, (flow) => flow.account);
    const entries = new Map<FlowKey, PortableSchedule>();
    let requests = 0;
    let failed = false;
    for (const [account, accountFlows] of byAccount) {
      const result = await refreshAccount(account, accountFlows, entries);
      requests += result.requests;
      failed ||= !result.ok;
      if (shared.signal.aborted) return { outcome: 'skipped', flows: 0, requests, durationMs: now() - startedAt };
    }
    // An account whose listing failed keeps what is known of its flows: only the others' are written and pruned.
    if (failed) {
      await write(entries, undefined);
      return { outcome: 'failed', flows: entries.size, requests, durationMs: now() - startedAt };
    }
    await write(entries, watched);
    const report: RefreshReport = { outcome: 'refreshed', flows: entries.size, requests, durationMs: now() - startedAt };
    log.info({ flows: report.flows, requests: report.requests, durationMs: report.durationMs }, 'flow schedules read from Portable');
    return report;
  };

  return {
    start: () => shared.start(),
    refresh,
    async refreshMissing(flows = options.flows()) {
      if (flows.length === 0) return 0;
      const held = await options.redis().hmget(key, ...flows.map(flowKey));
      const missing = flows.filter((_flow, index) => held[index] === null);
      if (missing.length === 0) return 0;
      const { found } = await readOneByOne(missing);
      if (found.size > 0) await write(found, undefined);
      return found.size;
    },
    close: () => shared.close(),
  };
}

/** What a check needs of a flow: its `cron`, else its `frequency`; `{}` when Portable gives neither. */
function scheduleOf(flow: Flow): PortableSchedule {
  return {
    ...(flow.frequency === undefined ? {} : { frequency: flow.frequency }),
    ...(flow.cron === undefined ? {} : { cron: flow.cron }),
  };
}
