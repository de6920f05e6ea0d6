import type { CheckJobData } from '../scheduling/reconcile-schedules.ts';
import type { NotificationJobData } from '../delivery/notification-queue.ts';
import type { JobHandler } from './job-handler.ts';

export interface JobHandlers {
  checkFlow: JobHandler<CheckJobData>;
  deliverNotification: JobHandler<NotificationJobData>;
}

/**
 * Loads the adapters in `jobs/` by path, as graphile-worker loads its task directory: `src/` never imports
 * `jobs/` statically, so data keeps flowing one way. The same relative layout holds in the source tree (.ts,
 * run by Node's type stripping or vitest) and in the build output (.js).
 */
export async function loadJobHandlers(): Promise<JobHandlers> {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const load = async <T>(name: string): Promise<T> => {
    const module = (await import(new URL(`../../jobs/${name}${extension}`, import.meta.url).href)) as { default: T };
    return module.default;
  };
  return {
    checkFlow: await load<JobHandler<CheckJobData>>('check-flow'),
    deliverNotification: await load<JobHandler<NotificationJobData>>('deliver-notification'),
  };
}
