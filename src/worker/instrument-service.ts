import { flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import type { Queue } from 'bullmq';
import type { AlertSink, CheckReport } from '../checks/check-flow.ts';
import { DeliveryError, type DeliveryOutcome } from '../delivery/deliver-notification.ts';
import type { NotificationJobData } from '../delivery/notification-queue.ts';
import type { CheckOutcomeLabel, DeliveryOutcomeLabel, WorkerMetrics } from '../metrics/worker-metrics.ts';
import { withRequestListener, type PortableClientOptions } from '../portable/portable-client.ts';
import { PortableApiError } from '../portable/portable-error.ts';
import type { StatusReport } from '../status/flow-status.ts';

/**
 * Wraps the service's operations so they count themselves, and gives /metrics its scrape-time probes.
 * Without metrics every wrapper is the identity, so the service has one code path either way.
 */

type ClientOverrides = Partial<Omit<PortableClientOptions, 'token' | 'apiUrl'>>;

export interface ServiceInstruments {
  check(run: () => Promise<CheckReport>): Promise<CheckReport>;
  delivery(data: NotificationJobData, run: () => Promise<DeliveryOutcome>): Promise<DeliveryOutcome>;
  sink(sink: AlertSink): AlertSink;
  clientOptions(overrides: ClientOverrides | undefined): ClientOverrides | undefined;
  /** The configured flows changed (a reload): an added flow is watched, for its age, from now. */
  flowsChanged(): void;
}

/** How many of the oldest queued and delayed jobs to look at for the oldest waiting age (bounded scrape cost). */
const OLDEST_SAMPLE = 50;

export function instrumentService(
  metrics: WorkerMetrics | undefined,
  parts: {
    /** The queues in use now (the watchdog may replace them). */
    checkQueue: () => Queue;
    notificationQueue: () => Queue;
    /** The watched flows' status, as the status page reads it (shared, so a scrape adds no read of its own). */
    statusReport: () => Promise<StatusReport>;
    flowIds: () => FlowKey[];
    now: () => number;
  },
): ServiceInstruments {
  if (metrics === undefined) {
    return {
      check: (run) => run(),
      delivery: (_data, run) => run(),
      sink: (sink) => sink,
      clientOptions: (overrides) => overrides,
      flowsChanged: () => undefined,
    };
  }
  const watchedFlows = watchedSince(parts.flowIds, parts.now);
  metrics.setProbes({
    watchedFlows,
    notificationJobs: () => parts.notificationQueue().getJobCounts('wait', 'prioritized', 'delayed', 'active', 'failed'),
    checkJobs: () => parts.checkQueue().getJobCounts('wait', 'prioritized', 'delayed', 'active'),
    async oldestWaitingNotification() {
      // Ascending order puts the oldest first in the wait list; delayed jobs (retries) are ordered by when they
      // run next, so a sample of them stands in for all.
      const jobs = await parts.notificationQueue().getJobs(['wait', 'prioritized', 'delayed'], 0, OLDEST_SAMPLE - 1, true);
      const stamps = jobs.map((job) => job.timestamp).filter((stamp) => Number.isFinite(stamp));
      return stamps.length === 0 ? null : Math.min(...stamps);
    },
    async lastSuccessfulChecks() {
      const report = await parts.statusReport();
      const result = new Map<FlowKey, number>();
      for (const flow of report.flows) if (typeof flow.lastSuccessAt === 'number') result.set(flowKeyOf(flow), flow.lastSuccessAt);
      return result;
    },
  });
  return {
    flowsChanged: () => void watchedFlows(),
    async check(run) {
      const startedAt = parts.now();
      let outcome: CheckOutcomeLabel = 'crashed';
      try {
        const report = await run();
        outcome = report.outcome;
        return report;
      } catch (error) {
        if (error instanceof PortableApiError && error.kind === 'aborted') outcome = 'aborted';
        throw error;
      } finally {
        metrics.checkFinished(outcome, parts.now() - startedAt);
      }
    },
    async delivery(data, run) {
      let outcome: DeliveryOutcomeLabel = 'crashed';
      try {
        const result = await run();
        outcome = result;
        return result;
      } catch (error) {
        if (error instanceof DeliveryError) outcome = error.failure.action;
        throw error;
      } finally {
        metrics.notificationSettled(data.alert.kind, data.notifier, outcome);
      }
    },
    sink(sink) {
      return {
        async enqueue(alerts) {
          await sink.enqueue(alerts);
          // Counted once per alert, whatever the destinations routing gave it; a held alert released later was
          // counted when it was raised.
          const raised = new Map(alerts.filter((item) => item.jobSuffix === undefined).map(({ alert }) => [alert.key, alert.kind]));
          for (const kind of raised.values()) metrics.alertRaised(kind);
        },
      };
    },
    clientOptions: (overrides) => withRequestListener(overrides, (info) => metrics.portableRequest(info)),
  };
}

/**
 * When this process started watching each configured flow: the age of a flow never checked successfully counts
 * from there, so it exists from the start and grows whenever checks stop, even if Redis has lost every state.
 */
function watchedSince(flowIds: () => FlowKey[], now: () => number): () => Map<FlowKey, number> {
  const since = new Map<FlowKey, number>();
  const flows = () => {
    const current = new Set(flowIds());
    const at = now();
    for (const flowId of current) if (!since.has(flowId)) since.set(flowId, at);
    for (const flowId of since.keys()) if (!current.has(flowId)) since.delete(flowId);
    return since;
  };
  flows();
  return flows;
}
