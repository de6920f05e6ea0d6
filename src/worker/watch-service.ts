import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { checkFlow, type CheckReport, type CheckTarget } from '../checks/check-flow.ts';
import { createPortableClock } from '../checks/portable-clock.ts';
import { flowKey, type FlowKey } from '../accounts/flow-ref.ts';
import type { FlowConfig, WatchConfig } from '../config/config-schema.ts';
import { deliverNotification } from '../delivery/deliver-notification.ts';
import { createDispatchLoop } from '../delivery/dispatch-loop.ts';
import { releaseHeldAlerts } from '../delivery/release-held-alerts.ts';
import { createDigestBook } from '../digests/digest-book.ts';
import { flushDueDigests } from '../digests/flush-digests.ts';
import { windowsForFlow } from '../maintenance/maintenance-windows.ts';
import { flowRouting } from '../routing/route-flow.ts';
import { createSilenceStore } from '../silences/silence-store.ts';
import { createAlertSink, deliveryBackoff, type NotificationJobData } from '../delivery/notification-queue.ts';
import type { WorkerMetrics } from '../metrics/worker-metrics.ts';
import type { NotifierDeps } from '../notifiers/create-notifier.ts';
import { withRequestListener, type PortableClient, type PortableClientOptions } from '../portable/portable-client.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { createOutageLog, type OutageLog } from '../redis/outage-log.ts';
import { reconcileSchedules, type CheckJobData, type ReconcileReport } from '../scheduling/reconcile-schedules.ts';
import { createScheduleRefresher } from '../scheduling/refresh-portable-schedules.ts';
import { createDiscoveryRefresher } from '../discovery/discovery-refresher.ts';
import { watchDiscovered } from '../discovery/watch-discovered.ts';
import { createFlowStateStore } from '../state/flow-state-store.ts';
import type { StatusReport } from '../status/flow-status.ts';
import { readFlowStatus } from '../status/read-flow-status.ts';
import { createStatusSnapshot, statusTargetsOf } from '../status/status-snapshot.ts';
import { createCheckWatchdog, type CheckWatchdogOptions } from './check-watchdog.ts';
import { instrumentService } from './instrument-service.ts';
import type { JobContext } from './job-handler.ts';
import { loadJobHandlers, type JobHandlers } from './load-job-handlers.ts';
import { connectWithin, RECONNECT_TIMEOUT_MS, withDeadline } from './deadlines.ts';
import { createPlumbing, type Plumbing } from './redis-plumbing.ts';
import {
  accountNotifiersOf,
  buildClients,
  buildNotifiers,
  digestPolicyOf,
  flowUrlOf,
  indexFlows,
  readsPortableSchedule,
  SEE_ALL,
} from './service-config.ts';
import { createStateGuard, type StateGuard } from './state-guard.ts';

/**
 * Checks in flight at once per worker. A check spends most of its time waiting for Portable, so this is what
 * lets a worker overlap those waits: at 100 ms per answer, 200 allow up to 2,000 checks/s. The per-flow lease keeps
 * two checks of one flow apart whatever the number.
 */
export const DEFAULT_CHECK_CONCURRENCY = 200;

export interface WatchServiceOptions {
  config: WatchConfig;
  /** The first connection (maxRetriesPerRequest: null); the caller closes it. */
  redis: RedisConnection;
  /**
   * Opens a new connection like the first, for the watchdog to replace one that is stuck; the service closes
   * the ones it opens. Without it the watchdog rebuilds the workers on the first connection.
   */
  reconnect?: () => Promise<RedisConnection>;
  /** BullMQ prefix and root of our own keys; a hash tag such as `{portable-watch}` keeps Redis Cluster happy. */
  prefix: string;
  log: Logger;
  /** Where Redis outages are told, once each; default one of the service's own. */
  outage?: OutageLog;
  now?: () => number;
  checkConcurrency?: number;
  deliveryConcurrency?: number;
  notifierDeps?: NotifierDeps;
  /** Delay before a delivery retry, by attempts made so far; default `deliveryBackoff` (10 s doubling to 30 min). */
  deliveryBackoff?: (attemptsMade: number) => number;
  /** Overrides for the Portable client (tests shorten retries). */
  client?: Partial<Omit<PortableClientOptions, 'token' | 'apiUrl'>>;
  /** Counts checks, Portable requests, alerts and deliveries, and reads queue depths at scrape time. */
  metrics?: WorkerMetrics;
  /** How often the installation's state in Redis is verified, and how long a rebuilt one settles (tests shorten them). */
  stateGuard?: { verifyEveryMs?: number; settleMs?: number };
  /** The watchdog's timings (tests shorten them). */
  watchdog?: Pick<CheckWatchdogOptions, 'everyMs' | 'minStallMs' | 'giveUpAfterMs'>;
  /** How often due digests are sent and ended silences and maintenance windows judged; default 2 s. */
  dispatchEveryMs?: number;
}

export interface WatchService {
  /** Reconciles the schedules with the config and starts both workers, and the watchdog. */
  start(): Promise<ReconcileReport>;
  /** Starts only the notification worker (the `check` command delivers what it finds). */
  startDelivery(): Promise<void>;
  /** Applies a new, already validated config: schedules, notifiers and client, without a restart. */
  reload(config: WatchConfig): Promise<ReconcileReport>;
  /** Takes the flows `discover:` found, as the workers last wrote them, without starting (the `check` command). */
  loadDiscovered(): Promise<void>;
  /** Every flow watched now: listed under flows: and discovered. */
  watched(): FlowConfig[];
  /** The config applied now (after the last reload that was). */
  config(): WatchConfig;
  /**
   * What `portable-watch status` would print about the watched flows, read at most every 2 s (shared by every caller).
   * `allowStale`: a report up to 6 s old at once (the status page, which calls refreshStatus once it has answered).
   */
  statusReport(options?: { allowStale?: boolean }): Promise<StatusReport>;
  /** Reads the status again in the background if the last read is over 2 s old. */
  refreshStatus(): void;
  /** One check now, outside the schedule (the `check` command). */
  checkNow(flow: FlowKey, options?: { dryRun?: boolean; signal?: AbortSignal }): Promise<CheckReport>;
  /** False while Redis has lost the installation's state and it is being restored (readiness: schedules missing). */
  stateIntact(): Promise<boolean>;
  /** Liveness: unhealthy when checks stopped and a rebuild of the connection did not bring them back. */
  health(): { healthy: true } | { healthy: false; reason: string };
  /** Stops taking jobs, aborts checks in flight after `graceMs`, closes queues and notifiers. */
  close(graceMs?: number): Promise<void>;
  /** The connection, queues and workers in use now (the watchdog may replace them). */
  readonly redis: RedisConnection;
  readonly checkQueue: Queue<CheckJobData>;
  readonly notificationQueue: Queue<NotificationJobData>;
}

/** How old a status report may be when it is handed out again (the status page refreshes every 5 s). */
const STATUS_MAX_AGE_MS = 2_000;
/**
 * How old a report the status page shows rather than wait for Redis: just over its 5 s refresh, so a watched page
 * never waits, and one opened after a while shows nothing older than this.
 */
const STATUS_STALE_MS = 6_000;

export function createWatchService(options: WatchServiceOptions): WatchService {
  const { prefix, log } = options;
  const now = options.now ?? Date.now;
  const owner = randomUUID();
  const outage = options.outage ?? createOutageLog(log);
  const plumbingOptions = {
    prefix,
    log,
    outage,
    checkConcurrency: options.checkConcurrency ?? DEFAULT_CHECK_CONCURRENCY,
    deliveryConcurrency: options.deliveryConcurrency ?? 10,
    deliveryBackoff: options.deliveryBackoff ?? ((attemptsMade: number) => deliveryBackoff(attemptsMade)),
  };
  let plumbing: Plumbing = createPlumbing(options.redis, plumbingOptions);
  const redis = () => plumbing.redis;
  const store = createFlowStateStore(redis, prefix);

  let config = options.config;
  // Flows `discover:` found, with their rule's settings; watched beside config.flows (see watching()).
  let discovered: FlowConfig[] = [];
  let discoveredKeys = new Set<FlowKey>();
  const setDiscovered = (next: FlowConfig[]) => {
    discovered = next;
    discoveredKeys = new Set(next.map(flowKey));
  };
  const watching = (base: WatchConfig): WatchConfig => (discovered.length === 0 ? base : { ...base, flows: [...base.flows, ...discovered] });
  let flows = indexFlows(config);
  // Who hears about account-wide problems; computed per config, not per check (it spans every flow).
  let accountNotifiers = accountNotifiersOf(config);
  // What `status` would print, shared by the status page and /metrics' ages: one read of Redis every 2 s at most.
  const snapshot = createStatusSnapshot({
    maxAgeMs: STATUS_MAX_AGE_MS,
    staleMs: STATUS_STALE_MS,
    now,
    read: () => readFlowStatus({ redis: redis(), prefix, flows: statusTargetsOf(Object.keys(config.accounts), [...flows.values()]), now: now() }),
  });
  const instruments = instrumentService(options.metrics, {
    checkQueue: () => plumbing.checkQueue,
    notificationQueue: () => plumbing.notificationQueue,
    statusReport: () => snapshot.read(),
    flowIds: () => [...flows.keys()],
    now,
  });
  const sink = instruments.sink(createAlertSink(() => plumbing.notificationQueue, { redis, prefix }));
  const clock = createPortableClock({ log, onSkew: (seconds) => options.metrics?.clockSkewObserved(seconds) });
  // Every answer's Date header teaches the clock how far Portable's time is from ours.
  const clientOptions = { ...options, client: withRequestListener(instruments.clientOptions(options.client), (info) => clock.observe(info)) };
  // One client per account: each has its token, and its own retries and rate-limit waits.
  let clients = buildClients(config, clientOptions);
  const clientOf = (account: string): PortableClient => {
    const client = clients.get(account);
    // The config names only accounts it defines (check-accounts.ts); a flow of another would be a bug here.
    if (client === undefined) throw new Error(`no Portable client for account "${account}"`);
    return client;
  };
  let notifiers = buildNotifiers(config, options.notifierDeps);

  // Built once per flow and config: routing walks every route for every kind.
  let targets = new Map<FlowKey, CheckTarget>();
  const target = (flow: FlowConfig): CheckTarget => {
    const key = flowKey(flow);
    const known = targets.get(key);
    if (known !== undefined) return known;
    const built: CheckTarget = {
      ...flow,
      showAccount: Object.keys(config.accounts).length > 1,
      discovered: discoveredKeys.has(key),
      url: flowUrlOf(config, flow),
      accountNotifiers,
      routing: flowRouting(flow, config.routes),
      maintenance: windowsForFlow(config.maintenance, flow),
    };
    targets.set(key, built);
    return built;
  };

  const silences = createSilenceStore(redis, prefix);
  const holds = { silences: (at: number) => silences.active(at), windows: () => config.maintenance };
  const digests = { book: createDigestBook(redis, prefix), policy: (name: string) => digestPolicyOf(config, name) };
  const dispatch = createDispatchLoop({
    everyMs: options.dispatchEveryMs ?? 2_000,
    log,
    rounds: [
      {
        name: 'digests',
        run: () =>
          flushDueDigests({ redis, prefix, book: digests.book, notifier: (name) => notifiers.get(name), policy: digests.policy, now, log, seeAll: SEE_ALL }),
      },
      {
        name: 'held alerts',
        run: () => releaseHeldAlerts({ redis: redis(), prefix, ...holds, loadStates: (ids) => store.loadMany(ids), sink, now, log }),
      },
    ],
  });

  // Portable's schedules, for the flows whose missed runs are detected from them (no `schedule:` of their own).
  const refresher = createScheduleRefresher({
    redis,
    prefix,
    client: (account) => clientOf(account),
    flows: () => [...flows.values()].filter(readsPortableSchedule),
    every: () => config.scheduleRefresh,
    log,
    now,
  });

  // `discover:`: one replica lists and matches; every replica watches what it wrote.
  const discovery = createDiscoveryRefresher({
    redis,
    prefix,
    client: (account) => clientOf(account),
    config: () => config,
    announce: (alerts) =>
      sink.enqueue(alerts.map((alert) => ({ alert, notifiers: alert.kind === 'discovery' ? config.discoverNotify : [...new Set([...accountNotifiers, ...config.discoverNotify])] }))),
    onChanged: () => discoveredFlows.sync(),
    log,
    now,
  });
  const discoveredFlows = watchDiscovered({
    redis,
    prefix,
    config: () => config,
    log,
    apply: async (next) => {
      setDiscovered(next);
      const watched = watching(config);
      await reconcile(watched);
      flows = indexFlows(watched);
      targets = new Map();
      store.forgetAllBut(new Set(flows.keys()));
      instruments.flowsChanged();
      void refresher.refreshMissing().catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not read new flow schedules'));
    },
  });

  const runCheck = async (key: FlowKey, dryRun: boolean, signal?: AbortSignal): Promise<CheckReport> => {
    const flow = flows.get(key);
    // A job of a flow removed from the config (already queued when it was removed) does nothing.
    if (flow === undefined) return { outcome: 'skipped', reason: `flow ${key} is not in the config` };
    const deps = { client: clientOf(flow.account), store, sink, now, owner, clock, log, onStateMoved: () => guard.verifySoon() };
    const report = await checkFlow(deps, target(flow), { dryRun, ...(signal ? { signal } : {}) });
    // A discovered flow Portable no longer knows is most likely deleted: discovery looks now rather than when due.
    if (report.outcome === 'error' && report.problem === 'transient' && discoveredKeys.has(key) && /\b404\b/.test(report.message)) await discovery.refreshSoon();
    return report;
  };

  const countAnomalies = (report: CheckReport): CheckReport => {
    if (report.outcome === 'ok' || report.outcome === 'alerted') for (const found of report.newAnomalies) options.metrics?.anomalyObserved(found.kind);
    return report;
  };

  const context: JobContext = {
    checkFlow: (key, signal) =>
      instruments.check(async () => {
        const report = countAnomalies(await runCheck(key, false, signal));
        watchdog.checkCompleted();
        return report;
      }),
    deliver: (data, signal) =>
      instruments.delivery(data, () =>
        deliverNotification({ redis: redis(), prefix, now, log, notifier: (name) => notifiers.get(name), holds, digests }, data, signal ? { signal } : {}),
      ),
  };

  let handlers: Promise<JobHandlers> | undefined;
  const handlersOnce = () => (handlers ??= loadJobHandlers());

  /** Schedules to match `next`; a flow no longer watched loses its state, so re-adding it later starts afresh. */
  const reconcile = async (next: WatchConfig, firstCheckDelayMs = 0) => {
    const lockKey = `${prefix}:reconcile-lock`;
    const report = await reconcileSchedules({ queue: plumbing.checkQueue, redis: redis(), lockKey, flows: next.flows, log, now, firstCheckDelayMs });
    await Promise.all(report.removed.map((key) => store.remove(key)));
    return report;
  };

  const guard: StateGuard = createStateGuard({
    redis,
    prefix,
    store,
    log,
    now,
    reconcile: (firstCheckDelayMs) => reconcile(watching(config), firstCheckDelayMs),
    expectedSchedules: () => flows.size,
    schedulesInRedis: () => plumbing.checkQueue.getJobSchedulersCount(),
    announce: (alert) => sink.enqueue([{ alert, notifiers: accountNotifiers }]),
    onStateLost: () => options.metrics?.stateLost(),
    ...options.stateGuard,
  });

  /** Starts on `target` the workers that run now (both after `start`, delivery only for the `check` command). */
  const startWorkers = async (on: Plumbing, which: { checks: boolean; delivery: boolean }) => {
    const loaded = await handlersOnce();
    if (which.checks) on.startChecks((job, token, signal) => loaded.checkFlow(job, context, { token, signal }));
    if (which.delivery) on.startDelivery((job, token, signal) => loaded.deliverNotification(job, context, { token, signal }));
  };

  /** The watchdog's repair: a new connection, new queues and workers; the stuck ones are cut loose. */
  const rebuild = async () => {
    const fresh = options.reconnect === undefined ? options.redis : await connectWithin(options.reconnect, RECONNECT_TIMEOUT_MS);
    const stuck = plumbing;
    plumbing = createPlumbing(fresh, plumbingOptions);
    await startWorkers(plumbing, stuck.running);
    if (stuck.redis === fresh) void stuck.close(0);
    else stuck.abandon();
  };

  const watchdog = createCheckWatchdog({
    now,
    log,
    shortestPollEvery: () => (flows.size === 0 ? undefined : Math.min(...[...flows.values()].map((flow) => flow.pollEvery))),
    lastCheckInInstallation: () => withDeadline(store.lastCheckBegan(), 2_000),
    restart: rebuild,
    onRestart: () => options.metrics?.workerRestarted(),
    redisRefusing: () => outage.refusing(),
    ...options.watchdog,
  });

  return {
    get redis() {
      return plumbing.redis;
    },
    get checkQueue() {
      return plumbing.checkQueue;
    },
    get notificationQueue() {
      return plumbing.notificationQueue;
    },
    async start() {
      await guard.start();
      // What discovery found before this replica started is watched from the start, not dropped by its first reconcile.
      if (config.discover.length > 0) setDiscovered(await discoveredFlows.load());
      flows = indexFlows(watching(config));
      const report = await reconcile(watching(config));
      await startWorkers(plumbing, { checks: true, delivery: true });
      watchdog.start();
      refresher.start();
      dispatch.start();
      discovery.start();
      discoveredFlows.start();
      return report;
    },
    async startDelivery() {
      await startWorkers(plumbing, { checks: false, delivery: true });
      dispatch.start();
    },
    async reload(next) {
      const report = await reconcile(watching(next));
      const previous = notifiers;
      config = next;
      flows = indexFlows(watching(next));
      targets = new Map();
      store.forgetAllBut(new Set(flows.keys()));
      instruments.flowsChanged();
      accountNotifiers = accountNotifiersOf(next);
      clients = buildClients(next, clientOptions);
      notifiers = buildNotifiers(next, options.notifierDeps);
      await Promise.all([...previous.values()].map((notifier) => notifier.close()));
      // Rules may have changed: discovered flows are taken again under the new ones now, and listed again soon.
      if (next.discover.length > 0) void discovery.refreshSoon().catch(() => undefined);
      void discoveredFlows.sync().catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not apply the discovered flows'));
      // Flows just added learn Portable's schedule now rather than at the next refresh.
      void refresher.refreshMissing().catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not read new flow schedules'));
      return report;
    },
    async loadDiscovered() {
      if (config.discover.length === 0) return;
      setDiscovered(await discoveredFlows.load());
      flows = indexFlows(watching(config));
      targets = new Map();
    },
    watched: () => [...flows.values()],
    config: () => config,
    statusReport: (reportOptions) => (reportOptions?.allowStale === true ? snapshot.readQuick() : snapshot.read()),
    refreshStatus: () => snapshot.refresh(),
    async checkNow(key, checkOptions = {}) {
      if (checkOptions.dryRun !== true) {
        await guard.ensure();
        const flow = flows.get(key);
        // A one-off check may run where no worker ever read the schedules.
        if (flow !== undefined && readsPortableSchedule(flow)) await refresher.refreshMissing([flow]).catch(() => 0);
      }
      return countAnomalies(await runCheck(key, checkOptions.dryRun === true, checkOptions.signal));
    },
    stateIntact: () => guard.intact(),
    health: () => watchdog.health(),
    async close(graceMs = 8_000) {
      watchdog.close();
      await dispatch.close();
      await Promise.all([refresher.close(), discovery.close(), discoveredFlows.close()]);
      await guard.close();
      await plumbing.close(graceMs);
      // A connection the watchdog opened is the service's to close; the first one is the caller's.
      if (plumbing.redis !== options.redis) await plumbing.redis.quit().catch(() => plumbing.redis.disconnect());
      await Promise.all([...notifiers.values()].map((notifier) => notifier.close()));
    },
  };
}
