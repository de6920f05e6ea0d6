import { checkJobFlow, type CheckJobData } from '../src/scheduling/reconcile-schedules.ts';
import type { JobHandler } from '../src/worker/job-handler.ts';

/** A scheduled check of one flow. Failures are the check's own business (monitor errors), so this job never fails. */
const checkFlowJob: JobHandler<CheckJobData, string> = async (job, context, { signal }) => {
  const report = await context.checkFlow(checkJobFlow(job.data), signal);
  return report.outcome;
};

export default checkFlowJob;
