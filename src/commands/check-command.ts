import type { Queue } from 'bullmq';
import { ALERT_TITLES } from '../alerts/alert.ts';
import type { CheckReport } from '../checks/check-flow.ts';
import { notificationJobId, type NotificationJobData } from '../delivery/notification-queue.ts';
import { openRuntime } from '../main.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch check [--flow ID] [--dry-run] [--config PATH]',
  '',
  'Options:',
  '  --flow ID          check only this flow (default: every configured flow)',
  '  --dry-run          send nothing and move no checkpoint; only print what a check would alert',
  CONFIG_OPTION_HELP,
].join('\n');

/** How long `check` waits for the alerts it queued to be delivered before leaving them to the worker. */
const DELIVERY_WAIT_MS = 30_000;

/** `portable-watch check`: one check now, outside the schedule, printing what it found. */
export const checkCommand: Command = {
  summary: 'Check flows now and print what was found (--dry-run: send nothing, move no checkpoint).',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'check', USAGE, {
      config: { type: 'string', short: 'c' },
      flow: { type: 'string' },
      'dry-run': { type: 'boolean' },
    });
    if (values === undefined) return 1;
    const config = await loadConfigOrReport(context, configPathOf(values.config, context));
    if (config === undefined) return 1;
    const flowIds = config.flows.map((flow) => flow.id).filter((id) => values.flow === undefined || String(id) === values.flow);
    if (flowIds.length === 0) {
      writeLine(context.stderr, `portable-watch check: flow ${values.flow ?? ''} is not in the config`);
      return 1;
    }
    const dryRun = values['dry-run'] === true;
    const runtime = await openRuntime(context, config);
    try {
      if (!dryRun) await runtime.service.startDelivery();
      let failures = 0;
      const queued: string[] = [];
      for (const flowId of flowIds) {
        const report = await runtime.service.checkNow(flowId, { dryRun });
        if (report.outcome === 'error') failures += 1;
        printReport(context, flowId, report, dryRun);
        if (report.outcome !== 'skipped' && !dryRun) {
          const notify = config.flows.find((flow) => flow.id === flowId)?.notify ?? [];
          for (const alert of report.alerts) queued.push(...notify.map((name) => notificationJobId(alert.key, name)));
        }
      }
      if (queued.length > 0) failures += await awaitDeliveries(context, runtime.service.notificationQueue, queued);
      return failures === 0 ? 0 : 1;
    } finally {
      await runtime.close(2_000);
    }
  },
};

function printReport(context: CommandContext, flowId: number, report: CheckReport, dryRun: boolean): void {
  if (report.outcome === 'skipped') {
    writeLine(context.stdout, `flow ${flowId}: skipped (${report.reason})`);
    return;
  }
  const head =
    report.outcome === 'error'
      ? `flow ${flowId}: check failed (${report.problem}): ${report.message}`
      : `flow ${flowId}: ${report.requests} ${report.requests === 1 ? 'request' : 'requests'}, ${report.alerts.length} ${report.alerts.length === 1 ? 'alert' : 'alerts'}${dryRun && report.alerts.length > 0 ? ' (dry run: not sent)' : ''}`;
  writeLine(context.stdout, head);
  for (const alert of report.alerts) {
    const attempt = alert.attempt === undefined ? '' : ` attempt ${alert.attempt.id}`;
    const detail = alert.attempt?.errors[0] ?? alert.monitor?.message ?? '';
    writeLine(context.stdout, `  ${ALERT_TITLES[alert.kind]}: ${alert.flow.name}${attempt}${detail === '' ? '' : ` — ${detail}`}`);
  }
  if (report.outcome !== 'error') for (const anomaly of report.anomalies) writeLine(context.stdout, `  note: ${anomaly.message}`);
}

/** Waits for the queued deliveries; returns how many failed for good. Ones still retrying are left to the worker. */
async function awaitDeliveries(context: CommandContext, queue: Queue<NotificationJobData>, jobIds: string[]): Promise<number> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  const pending = new Set(jobIds);
  let failed = 0;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const id of [...pending]) {
      const job = await queue.getJob(id);
      const state = job === undefined ? 'completed' : await job.getState();
      if (state !== 'completed' && state !== 'failed') continue;
      pending.delete(id);
      if (state === 'failed') failed += 1;
      writeLine(context.stdout, `  delivery ${id}: ${state === 'failed' ? `failed — ${job?.failedReason ?? ''}` : 'sent'}`);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const id of pending) writeLine(context.stdout, `  delivery ${id}: still retrying; the worker will keep trying`);
  return failed;
}
