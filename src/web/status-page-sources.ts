import type { FlowKey } from '../accounts/flow-ref.ts';
import type { FlowConfig, WatchConfig } from '../config/config-schema.ts';
import { readAlertLog, type LoggedAlert } from '../delivery/alert-log.ts';
import { deliveredMarkerKey, NOTIFICATION_QUEUE, type NotificationJobData } from '../delivery/notification-queue.ts';
import { readUnsentAlerts, type UnsentAlert } from '../delivery/read-unsent-alerts.ts';
import type { FlowState } from '../detection/flow-state.ts';
import type { PortableSchedule } from '../detection/schedule.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { createSilenceStore, type SilenceStore } from '../silences/silence-store.ts';
import { createFlowStateStore } from '../state/flow-state-store.ts';
import type { StatusReport } from '../status/flow-status.ts';
import { readOnlyQueue } from '../status/read-flow-status.ts';
import type { WorkerHealth } from './status-page-model.ts';

/**
 * Everything the status page reads, and nothing else: the worker's shared StatusReport, the config it runs, its
 * health, the silences, and for one flow's page that flow's state, schedule, alert log and deliveries.
 */
export interface StatusPageSources {
  now(): number;
  /** The last status read, up to 6 s old; `refreshReport` once the page has been sent keeps it recent. */
  report(): Promise<StatusReport>;
  refreshReport(): void;
  watched(): readonly FlowConfig[];
  config(): WatchConfig;
  health(report: StatusReport): Promise<WorkerHealth>;
  silences: SilenceStore;
  flowDetail(flow: FlowKey): Promise<FlowDetail>;
}

export interface FlowDetail {
  state: FlowState | undefined;
  schedule: PortableSchedule | undefined;
  alerts: LoggedAlert[];
  /** When each logged (alert, notifier) was delivered, by `<alert key>.<notifier>`. */
  delivered: Map<string, number>;
  unsent: UnsentAlert[];
}

/** What the worker tells of itself, beyond Redis. */
export interface WorkerSelf {
  redis(): RedisConnection;
  prefix: string;
  now(): number;
  statusReport(): Promise<StatusReport>;
  refreshStatus(): void;
  watched(): FlowConfig[];
  config(): WatchConfig;
  /** Whether Redis answers a PING within a second. */
  redisAnswers(): Promise<boolean>;
  checksHealth(): WorkerHealth['checks'];
  lastReload(): WorkerHealth['reload'];
}

export function createStatusPageSources(self: WorkerSelf): StatusPageSources {
  return {
    now: () => self.now(),
    report: () => self.statusReport(),
    refreshReport: () => self.refreshStatus(),
    watched: () => self.watched(),
    config: () => self.config(),
    silences: createSilenceStore(() => self.redis(), self.prefix),
    async health(report) {
      const notifiers = new Map<string, { notifier: string; waiting: number; retrying: number; givenUp: number }>();
      for (const count of [...report.flows.flatMap((flow) => flow.unsentAlerts), ...report.otherUnsentAlerts]) {
        const total = notifiers.get(count.notifier) ?? { notifier: count.notifier, waiting: 0, retrying: 0, givenUp: 0 };
        total.waiting += count.waiting;
        total.retrying += count.retrying;
        total.givenUp += count.givenUp;
        notifiers.set(count.notifier, total);
      }
      return {
        redis: { answering: await self.redisAnswers() },
        checks: self.checksHealth(),
        schedules: { present: report.flows.filter((flow) => flow.nextCheck !== null).length, expected: report.flows.length },
        notifiers: [...notifiers.values()].sort((first, second) => first.notifier.localeCompare(second.notifier)),
        reload: self.lastReload(),
      };
    },
    async flowDetail(flow) {
      const redis = self.redis();
      const store = createFlowStateStore(redis, self.prefix);
      const queue = readOnlyQueue<NotificationJobData>(NOTIFICATION_QUEUE, redis, self.prefix);
      try {
        const [states, schedule, alerts, unsent] = await Promise.all([store.loadMany([flow]), store.loadSchedule(flow), readAlertLog(redis, self.prefix, flow), readUnsentAlerts(queue)]);
        return { state: states.get(flow), schedule, alerts, delivered: await readDelivered(redis, self.prefix, alerts), unsent };
      } finally {
        await queue.close();
      }
    },
  };
}

async function readDelivered(redis: RedisConnection, prefix: string, alerts: readonly LoggedAlert[]): Promise<Map<string, number>> {
  const pairs = alerts.flatMap((alert) => alert.notifiers.map((notifier) => ({ key: alert.key, notifier })));
  const delivered = new Map<string, number>();
  if (pairs.length === 0) return delivered;
  const pipeline = redis.pipeline();
  for (const { key, notifier } of pairs) pipeline.get(deliveredMarkerKey(prefix, key, notifier));
  const results = (await pipeline.exec()) ?? [];
  pairs.forEach(({ key, notifier }, index) => {
    const at = Number(results[index]?.[1]);
    if (Number.isFinite(at) && at > 0) delivered.set(`${key}.${notifier}`, at);
  });
  return delivered;
}
