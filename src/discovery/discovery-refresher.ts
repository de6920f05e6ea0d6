import type { Logger } from 'pino';
import { DEFAULT_ACCOUNT, flowKey, type FlowKey } from '../accounts/flow-ref.ts';
import type { Alert } from '../alerts/alert.ts';
import type { WatchConfig } from '../config/config-schema.ts';
import { detectMonitorEvents, type CheckResult, type MonitorTracker } from '../detection/detect-monitor-events.ts';
import type { Flow } from '../portable/normalise-flow.ts';
import { PortableApiError } from '../portable/portable-error.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { createSharedRefresh } from '../scheduling/shared-refresh.ts';
import { describeDiscoveryChanges, discoveryChanges } from './discovery-changes.ts';
import { matchDiscovery, type DiscoveredFlow, type ListedFlow } from './match-discovery.ts';

/*
 * `discover:` at run time: every `discoverEvery`, one replica (under a lock) lists each account's flows with one
 * `GET /v2/flows`, matches them against the rules and writes the flows to watch to Redis with a new version; every
 * replica sees the version change and watches that set. An account whose listing fails keeps the flows it had (one bad
 * answer never drops everything), and a listing that keeps failing is that account's monitor error, as a check's.
 */

export interface DiscoveryClient {
  listFlows(options?: { signal?: AbortSignal }): Promise<Flow[]>;
}

export interface DiscoveryRefresherOptions {
  redis: () => RedisConnection;
  prefix: string;
  client: (account: string) => DiscoveryClient;
  config: () => Pick<WatchConfig, 'discover' | 'discoverEvery' | 'flows' | 'accounts'>;
  /** Sends the "now watching" / "stopped watching" notices and listing problems (to discoverNotify, or the account's). */
  announce: (alerts: Alert[]) => Promise<void>;
  /** Called after a refresh that changed the set: this replica applies it at once, the others at their next look. */
  onChanged?: () => Promise<void>;
  log: Logger;
  now?: () => number;
  /** How often a replica looks whether a refresh is due; default a tenth of `discoverEvery`, between 1 s and 30 s. */
  tickMs?: number;
}

export interface DiscoveryReport {
  outcome: 'refreshed' | 'skipped';
  watched: number;
  added: number;
  removed: number;
  /** Accounts whose listing failed (their flows kept). */
  failed: string[];
  requests: number;
  durationMs: number;
}

export interface DiscoveryRefresher {
  start(): void;
  /** Lists, matches and writes now, whoever did the last one. */
  refresh(): Promise<DiscoveryReport>;
  /** Makes a refresh due at the next look of any replica (a discovered flow Portable no longer knows). */
  refreshSoon(): Promise<void>;
  close(): Promise<void>;
}

export function discoveredKey(prefix: string): string {
  return `${prefix}:discovered`;
}

export function discoveredVersionKey(prefix: string): string {
  return `${prefix}:discovered:version`;
}

/** The flows discovery watches now, as the last refresh wrote them (any replica's). */
export async function readDiscovered(redis: RedisConnection, prefix: string): Promise<DiscoveredFlow[]> {
  const fields = await redis.hvals(discoveredKey(prefix));
  return fields.map((json) => JSON.parse(json) as DiscoveredFlow);
}


export function createDiscoveryRefresher(options: DiscoveryRefresherOptions): DiscoveryRefresher {
  const { prefix, log } = options;
  const now = options.now ?? Date.now;
  const key = discoveredKey(prefix);
  const versionKey = discoveredVersionKey(prefix);
  const refreshedKey = `${prefix}:discovered:refreshed`;
  const lockKey = `${prefix}:discovered:lock`;
  const shared = createSharedRefresh({
    redis: options.redis,
    refreshedKey,
    lockKey,
    every: () => options.config().discoverEvery,
    enabled: () => options.config().discover.length > 0,
    run: () => refresh(),
    log,
    messages: { skipped: 'discovery skipped', failed: 'discovery failed; watching the flows found before' },
    now,
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
  });
  const trackersKey = `${prefix}:discovered:listing`;

  /** One account's flows, or why they could not be listed. */
  const list = async (account: string): Promise<{ flows: ListedFlow[] } | { failure: CheckResult & { ok: false } }> => {
    try {
      const flows = await options.client(account).listFlows({ signal: shared.signal });
      return { flows: flows.map((flow) => ({ account, id: flow.id, displayName: flow.displayName ?? null })) };
    } catch (error) {
      if (!(error instanceof PortableApiError) || error.kind === 'aborted') throw error;
      return { failure: { ok: false, problem: error.kind, message: `cannot list the flows of account ${account}: ${error.message}` } };
    }
  };

  /** The account's listing incident: alerted once it persists (or at once for a rejected token), ended when it lists again. */
  const settleListing = async (account: string, result: CheckResult, severalAccounts: boolean): Promise<Alert[]> => {
    const redis = options.redis();
    const raw = await redis.hget(trackersKey, account);
    const tracker: MonitorTracker = raw === null ? { monitor: null, monitorIncidents: 0, failingSince: null } : (JSON.parse(raw) as MonitorTracker);
    if (result.ok && tracker.failingSince === null) return [];
    const flow = { id: 0, name: 'Portable account', ...(severalAccounts || account !== DEFAULT_ACCOUNT ? { account } : {}) };
    const keyPrefix = account === DEFAULT_ACCOUNT ? 'discover' : `discover-${account}`;
    const detected = detectMonitorEvents({ subject: { scope: 'account', keyPrefix, flow }, tracker, result, now: now() });
    await redis.hset(trackersKey, account, JSON.stringify(detected.tracker));
    return detected.alerts;
  };

  const refresh = async (): Promise<DiscoveryReport> => {
    const startedAt = now();
    const config = options.config();
    const accounts = [...new Set(config.discover.map((rule) => rule.account))];
    const severalAccounts = Object.keys(config.accounts).length > 1;
    const listed: ListedFlow[] = [];
    const failed: string[] = [];
    const alerts: Alert[] = [];
    for (const account of accounts) {
      const result = await list(account);
      if ('flows' in result) listed.push(...result.flows);
      else failed.push(account);
      alerts.push(...(await settleListing(account, 'flows' in result ? { ok: true } : result.failure, severalAccounts)));
    }
    const redis = options.redis();
    const before = new Map((await readDiscovered(redis, prefix)).map((flow) => [flowKey(flow), flow]));
    const explicit = config.flows.map((flow) => ({ account: flow.account, id: flow.id, name: flow.name }));
    const explicitKeys = new Set(explicit.map(flowKey));
    const match = matchDiscovery({ rules: config.discover, listed, explicit });
    const after = new Map<FlowKey, DiscoveredFlow>(match.watched.map((flow) => [flowKey(flow), flow]));
    // An account that could not be listed keeps the flows it had, unless they are now listed under flows:.
    for (const [flow, discovered] of before) {
      if (failed.includes(discovered.account) && !explicitKeys.has(flow) && accounts.includes(discovered.account)) after.set(flow, discovered);
    }
    const changes = discoveryChanges([...before.values()], [...after.values()]);
    const moved = [...after].some(([flow, discovered]) => before.get(flow)?.rule !== discovered.rule || before.get(flow)?.name !== discovered.name);
    if (changes.added.length > 0 || changes.removed.length > 0 || moved) {
      const write = redis.multi().del(key);
      if (after.size > 0) write.hset(key, Object.fromEntries([...after].map(([flow, discovered]) => [flow, JSON.stringify(discovered)])));
      await write.incr(versionKey).exec();
      await options.onChanged?.();
    }
    await redis.set(refreshedKey, String(now()));
    for (const flow of changes.added) log.info({ account: flow.account, flowId: flow.id, name: flow.name }, 'discovered a flow; now watching it');
    for (const flow of changes.removed) log.info({ account: flow.account, flowId: flow.id, name: flow.name }, 'stopped watching a discovered flow');
    const notices = describeDiscoveryChanges(changes, { severalAccounts });
    if (notices.length > 0) alerts.push(discoveryAlert(notices, changes.added.length, changes.removed.length, now()));
    if (alerts.length > 0) await options.announce(alerts);
    return {
      outcome: 'refreshed',
      watched: after.size,
      added: changes.added.length,
      removed: changes.removed.length,
      failed,
      requests: accounts.length,
      durationMs: now() - startedAt,
    };
  };

  return {
    start: () => shared.start(),
    refresh,
    refreshSoon: () => shared.dueSoon(),
    close: () => shared.close(),
  };
}

/** The notice of what discovery changed: one alert, about no flow, its text the change messages. */
function discoveryAlert(messages: string[], added: number, removed: number, at: number): Alert {
  return {
    key: `discovery-${at}-${added}-${removed}`,
    kind: 'discovery',
    flow: { id: 0, name: 'portable-watch discovery' },
    discovery: { added, removed, messages },
    detectedAt: at,
  };
}
