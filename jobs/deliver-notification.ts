import { DelayedError, UnrecoverableError } from 'bullmq';
import { DeliveryError } from '../src/delivery/deliver-notification.ts';
import type { NotificationJobData } from '../src/delivery/notification-queue.ts';
import type { JobHandler } from '../src/worker/job-handler.ts';

/**
 * One alert through one notifier. Maps the delivery's classified failure onto BullMQ: retry with backoff,
 * wait exactly as long as Slack asked (without spending an attempt), or stop for good.
 */
const deliverNotificationJob: JobHandler<NotificationJobData, string> = async (job, context, { token, signal }) => {
  try {
    return await context.deliver(job.data, signal);
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    const { failure } = error;
    if (failure.action === 'give-up') throw new UnrecoverableError(failure.message);
    if (failure.action === 'wait') {
      await job.moveToDelayed(Date.now() + failure.delayMs, token);
      throw new DelayedError(failure.message);
    }
    throw new Error(failure.message, { cause: error });
  }
};

export default deliverNotificationJob;
