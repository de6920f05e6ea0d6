import type { FlowKey } from '../accounts/flow-ref.ts';
import type { Job } from 'bullmq';
import type { CheckReport } from '../checks/check-flow.ts';
import type { DeliveryOutcome } from '../delivery/deliver-notification.ts';
import type { NotificationJobData } from '../delivery/notification-queue.ts';

/** What a job adapter in `jobs/` may call: the program's operations, already wired to config and connections. */
export interface JobContext {
  checkFlow(flow: FlowKey, signal?: AbortSignal): Promise<CheckReport>;
  deliver(data: NotificationJobData, signal?: AbortSignal): Promise<DeliveryOutcome>;
}

/** A `jobs/*.ts` file's default export: turns one BullMQ job into one call on the context. */
export type JobHandler<Data, Result = unknown> = (
  job: Job<Data>,
  context: JobContext,
  options: { token?: string | undefined; signal?: AbortSignal | undefined },
) => Promise<Result>;
