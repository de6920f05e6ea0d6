import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { RedisConnection } from '../redis/connect-redis.ts';
import type { Logger } from 'pino';
import { checkFlow, type CheckReport, type CheckTarget } from '../checks/check-flow.ts';
import { createPortableClock } from '../checks/portable-clock.ts';
import { renderFlowUrl, type FlowConfig, type WatchConfig } from '../config/config-schema.ts';
import { deliverNotification } from '../delivery/deliver-notification.ts';
import { createAlertSink, deliveryBackoff, NOTIFICATION_QUEUE, type NotificationJobData } from '../delivery/notification-queue.ts';
import { createNotifier, type NotifierDeps } from '../notifiers/create-notifier.ts';
import type { Notifier } from '../notifiers/notifier.ts';
import { createPortableClient, withRequestListener, type PortableClient, type PortableClientOptions } from '../portable/portable-client.ts';
import { CHECK_QUEUE, reconcileSchedules, type CheckJobData, type ReconcileReport } from '../scheduling/reconcile-schedules.ts';
import { createFlowStateStore } from '../state/flow-state-store.ts';
import type { JobContext } from './job-handler.ts';
import { loadJobHandlers, type JobHandlers } from './load-job-handlers.ts';
import { instrumentService } from './instrument-service.ts';
import type { WorkerMetrics } from '../metrics/worker-metrics.ts';
import { createStateGuard, type StateGuard } from './state-guard.ts';

/**
 * Checks in flight at once per worker. A check spends most of its time waiting for Portable, so this is what
 * lets a worker overlap those waits: at 100 ms per answer, 200 allow up to 2,000 checks/s. The per-flow lease keeps
 * two checks of one flow apart whatever the number.
 */
export const DEFAULT_CHECK_CONCURRENCY = 200;

export interface WatchServiceOptions {
  config: WatchConfig;
  /** Shared connection (maxRetriesPerRequest: null); the caller closes it. */
  redis: RedisConnection;
  /** BullMQ prefix and root of our own keys; a hash tag such as `{portable-watch}` keeps Redis Cluster happy. */
  prefix: string;
  log: Logger;
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
}

export interface WatchService {
  /** Reconciles the schedules with the config and starts both workers. */
  start(): Promise<ReconcileReport>;
  /** Starts only the notification worker (the `check` command delivers what it finds). */
  startDelivery(): Promise<void>;
  /** Applies a new, already validated config: schedules, notifiers and client, without a restart. */
  reload(config: WatchConfig): Promise<ReconcileReport>;
  /** One check now, outside the schedule (the `check` command). */
  checkNow(flowId: number, options?: { dryRun?: boolean; signal?: AbortSignal }): Promise<CheckReport>;
  /** False while Redis has lost the installation's state and it is being restored (readiness: schedules missing). */
  stateIntact(): Promise<boolean>;
  /** Stops taking jobs, aborts checks in flight after `graceMs`, closes queues and notifiers. */
  close(graceMs?: number): Promise<void>;
  readonly checkQueue: Queue<CheckJobData>;
  readonly notificationQueue: Queue<NotificationJobData>;
}

export function createWatchService(options: WatchServiceOptions): WatchService {
  const { redis, prefix, log } = options;
  const now = options.now ?? Date.now;
  const owner = randomUUID();
  const store = createFlowStateStore(redis, prefix);
  const checkQueue = new Queue<CheckJobData>(CHECK_QUEUE, { connection: redis, prefix });
  const notificationQueue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix });
  const workers: Worker[] = [];

  let config = options.config;
  let flows = indexFlows(config);
  // Who hears about account-wide problems; computed per config, not per check (it spans every flow).
  let accountNotifiers = accountNotifiersOf(config);
  const instruments = instrumentService(options.metrics, {
    checkQueue,
    notificationQueue,
    store,
    flowIds: () => [...flows.keys()],
    now,
  });
  const sink = instruments.sink(createAlertSink(notificationQueue));
  const clock = createPortableClock({ log, onSkew: (seconds) => options.metrics?.clockSkewObserved(seconds) });
  // Every answer's Date header teaches the clock how far Portable's time is from ours.
  const clientOptions = { ...options, client: withRequestListener(instruments.clientOptions(options.client), (info) => clock.observe(info)) };
  let client = buildClient(config, clientOptions);
  let notifiers = buildNotifiers(config, options.notifierDeps);

  const target = (flow: FlowConfig): CheckTarget => ({
    ...flow,
    url: config.portable.flowUrl === undefined ? undefined : renderFlowUrl(config.portable.flowUrl, flow.id),
    accountNotifiers,
  });

  const runCheck = (flowId: number, dryRun: boolean, signal?: AbortSignal): Promise<CheckReport> => {
    const flow = flows.get(flowId);
    // A job of a flow removed from the config (already queued when it was removed) does nothing.
    if (flow === undefined) return Promise.resolve({ outcome: 'skipped', reason: `flow ${flowId} is not in the config` });
    const deps = { client, store, sink, now, owner, clock, log: log.child({ flowId }), onStateMoved: () => guard.verifySoon() };
    return checkFlow(deps, target(flow), { dryRun, ...(signal ? { signal } : {}) });
  };

  const countAnomalies = (report: CheckReport): CheckReport => {
    if (report.outcome === 'ok' || report.outcome === 'alerted') for (const found of report.newAnomalies) options.metrics?.anomalyObserved(found.kind);
    return report;
  };

  const context: JobContext = {
    checkFlow: (flowId, signal) => instruments.check(async () => countAnomalies(await runCheck(flowId, false, signal))),
    deliver: (data, signal) =>
      instruments.delivery(data, () =>
        deliverNotification({ redis, prefix, now, log, notifier: (name) => notifiers.get(name) }, data, signal ? { signal } : {}),
      ),
  };

  let handlers: Promise<JobHandlers> | undefined;
  const handlersOnce = () => (handlers ??= loadJobHandlers());

  /** Schedules to match `next`; a flow no longer watched loses its state, so re-adding it later starts afresh. */
  const reconcile = async (next: WatchConfig, firstCheckDelayMs = 0) => {
    const report = await reconcileSchedules({ queue: checkQueue, redis, lockKey: `${prefix}:reconcile-lock`, flows: next.flows, log, now, firstCheckDelayMs });
    await Promise.all(report.removed.map((flowId) => store.remove(flowId)));
    return report;
  };

  const guard: StateGuard = createStateGuard({
    redis,
    prefix,
    store,
    log,
    now,
    reconcile: (firstCheckDelayMs) => reconcile(config, firstCheckDelayMs),
    expectedSchedules: () => flows.size,
    schedulesInRedis: () => checkQueue.getJobSchedulersCount(),
    announce: (alert) => sink.enqueue([{ alert, notifiers: accountNotifiers }]),
    onStateLost: () => options.metrics?.stateLost(),
    ...options.stateGuard,
  });

  return {
    checkQueue,
    notificationQueue,
    async start() {
      await guard.start();
      const report = await reconcile(config);
      const handlers = await handlersOnce();
      workers.push(
        new Worker<CheckJobData>(CHECK_QUEUE, (job, token, signal) => handlers.checkFlow(job, context, { token, signal }), {
          connection: redis,
          prefix,
          concurrency: options.checkConcurrency ?? DEFAULT_CHECK_CONCURRENCY,
        }),
      );
      await this.startDelivery();
      return report;
    },
    async startDelivery() {
      const handlers = await handlersOnce();
      workers.push(
        new Worker<NotificationJobData>(
          NOTIFICATION_QUEUE,
          (job, token, signal) => handlers.deliverNotification(job, context, { token, signal }),
          {
            connection: redis,
            prefix,
            concurrency: options.deliveryConcurrency ?? 10,
            settings: { backoffStrategy: options.deliveryBackoff ?? ((attemptsMade: number) => deliveryBackoff(attemptsMade)) },
          },
        ),
      );
      for (const worker of workers) {
        if (worker.listenerCount('failed') > 0) continue;
        worker.on('failed', (job, error) => {
          const data = job?.data as Partial<NotificationJobData> | undefined;
          log.warn({ queue: worker.name, jobId: job?.id, alert: data?.alert?.key, notifier: data?.notifier, attemptsMade: job?.attemptsMade, err: error }, 'job failed');
        });
        worker.on('error', (error) => log.error({ queue: worker.name, err: error }, 'worker error'));
      }
    },
    async reload(next) {
      const report = await reconcile(next);
      const previous = notifiers;
      config = next;
      flows = indexFlows(next);
      store.forgetAllBut(new Set(flows.keys()));
      instruments.flowsChanged();
      accountNotifiers = accountNotifiersOf(next);
      client = buildClient(next, clientOptions);
      notifiers = buildNotifiers(next, options.notifierDeps);
      await Promise.all([...previous.values()].map((notifier) => notifier.close()));
      return report;
    },
    async checkNow(flowId, checkOptions = {}) {
      if (checkOptions.dryRun !== true) await guard.ensure();
      return countAnomalies(await runCheck(flowId, checkOptions.dryRun === true, checkOptions.signal));
    },
    stateIntact: () => guard.intact(),
    async close(graceMs = 8_000) {
      await guard.close();
      const timer = setTimeout(() => {
        for (const worker of workers) worker.cancelAllJobs('shutting down');
      }, graceMs);
      try {
        await Promise.all(workers.map((worker) => worker.close()));
      } finally {
        clearTimeout(timer);
      }
      await Promise.all([checkQueue.close(), notificationQueue.close()]);
      await Promise.all([...notifiers.values()].map((notifier) => notifier.close()));
    },
  };
}

function indexFlows(config: WatchConfig): Map<number, FlowConfig> {
  return new Map(config.flows.map((flow) => [flow.id, flow]));
}

function accountNotifiersOf(config: WatchConfig): string[] {
  return [...new Set(config.flows.flatMap((flow) => flow.notify))];
}

function buildClient(config: WatchConfig, options: WatchServiceOptions): PortableClient {
  return createPortableClient({ ...options.client, token: config.portable.token, apiUrl: config.portable.apiUrl });
}

function buildNotifiers(config: WatchConfig, deps: NotifierDeps = {}): Map<string, Notifier> {
  const email = config.email === undefined ? {} : { email: config.email };
  return new Map(Object.entries(config.notifiers).map(([name, notifier]) => [name, createNotifier(name, notifier, { ...deps, ...email })]));
}
