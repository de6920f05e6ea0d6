import { flowKey, type FlowKey } from '../accounts/flow-ref.ts';
import type { Queue } from 'bullmq';
import { routeKindOf, type Alert, type MonitorProblem } from '../alerts/alert.ts';
import type { CheckReport } from '../checks/check-flow.ts';
import type { FlowConfig, WatchConfig } from '../config/config-schema.ts';
import { notificationJobId, type NotificationJobData } from '../delivery/notification-queue.ts';
import { alertHeadline } from '../notifiers/alert-facts.ts';
import { flowRouting } from '../routing/route-flow.ts';
import { openRuntime } from '../worker/main.ts';
import { accountNotifiersOf } from '../worker/service-config.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch check [--flow ID] [--dry-run] [--config PATH]',
  '',
  'Options:',
  '  --flow ID          check only this flow (default: every configured flow)',
  '  --dry-run          send nothing and move no checkpoint; only print what a check would alert',
  CONFIG_OPTION_HELP,
  '',
  'Checks once and sends what it found once, waiting up to 30 s for the sends; it retries nothing later.',
  'Exit status: 0 when every check worked and every alert was sent; 1 otherwise.',
].join('\n');

/** How long `check` waits for the alerts it queued to be delivered. */
const DELIVERY_WAIT_MS = 30_000;

/** One alert queued for one notifier by this run. */
interface Queued {
  jobId: string;
  alert: Alert;
  notifier: string;
}

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
    // `--flow 42` checks flow 42 of every account; `--flow prod~42` the one of account prod.
    const chosen = (flows: readonly FlowConfig[]) =>
      flows.map((flow) => flowKey(flow)).filter((key) => values.flow === undefined || key === values.flow || key.endsWith(`~${values.flow}`));
    const unknown = () => writeLine(context.stderr, `portable-watch check: flow ${values.flow ?? ''} is not in the config${config.discover.length > 0 ? ' nor found by discover:' : ''}`);
    // Without discover: the flows are all in the file: an unknown one is told before Redis is reached.
    if (config.discover.length === 0 && chosen(config.flows).length === 0) {
      unknown();
      return 1;
    }
    const dryRun = values['dry-run'] === true;
    // What this command finds it prints itself, once: the log lines saying the same (a check failed, an alert was
    // delivered, a job failed) would repeat it. LOG_LEVEL, when set, still wins.
    const runtime = await openRuntime({ ...context, env: { ...context.env, LOG_LEVEL: context.env.LOG_LEVEL || 'error' } }, config);
    try {
      // The flows discover: found, as the running workers last wrote them to Redis.
      await runtime.service.loadDiscovered();
      const watched = runtime.service.watched();
      const flowIds = chosen(watched);
      if (flowIds.length === 0) {
        unknown();
        return 1;
      }
      let failures = 0;
      const routes = alertRoutes({ ...config, flows: watched });
      const queued: Queued[] = [];
      const printer = createReportPrinter(context, config, routes, dryRun);
      for (const flowId of flowIds) {
        const report = await runtime.service.checkNow(flowId, { dryRun });
        if (report.outcome === 'error') failures += 1;
        printer.print(flowId, report);
        if (report.outcome === 'skipped' || dryRun) continue;
        for (const alert of report.alerts) {
          queued.push(...routes(flowId, alert).map((notifier) => ({ jobId: notificationJobId(alert.key, notifier), alert, notifier })));
        }
      }
      if (queued.length > 0) {
        // Started only now, so what a console notifier prints follows the report instead of cutting into it.
        await runtime.service.startDelivery();
        failures += await awaitDeliveries(context, runtime.service.notificationQueue, queued);
      }
      return failures === 0 ? 0 : 1;
    } finally {
      await runtime.close(2_000);
    }
  },
};

/** The notifiers an alert found on a flow's check was queued for, as the check queues it. */
type AlertRoutes = (flow: FlowKey, alert: Alert) => readonly string[];

function alertRoutes(config: WatchConfig): AlertRoutes {
  const account = accountNotifiersOf(config);
  const routing = new Map(config.flows.map((flow) => [flowKey(flow), flowRouting(flow, config.routes)]));
  return (flowId, alert) => {
    if (alert.monitor?.scope === 'account') return account;
    const kind = routeKindOf(alert);
    return kind === undefined ? [] : (routing.get(flowId)?.[kind] ?? []).map((destination) => destination.notifier);
  };
}

/**
 * Prints each flow's result as it comes: a line for the flow, one under it per finding. A rejected token is the
 * account's finding, said once, not once per flow; an alert a console notifier is about to print in full is left to it.
 */
function createReportPrinter(context: CommandContext, config: WatchConfig, routes: AlertRoutes, dryRun: boolean) {
  const consoleNotifiers = new Set(Object.entries(config.notifiers).flatMap(([name, notifier]) => (notifier.type === 'console' ? [name] : [])));
  /** The flow whose check first met the rejected token, and said so. */
  let tokenRejectedAt: FlowKey | undefined;
  return {
    print(flowId: FlowKey, report: CheckReport): void {
      if (report.outcome === 'skipped') {
        writeLine(context.stdout, `flow ${flowId}: skipped (${report.reason})`);
        return;
      }
      const printers = (alert: Alert) => (dryRun ? [] : routes(flowId, alert).filter((name) => consoleNotifiers.has(name)));
      const printedBy = [...new Set(report.alerts.flatMap(printers))];
      const inFull = printedBy.length === 0 ? '' : ` (printed in full below by ${printedBy.join(', ')})`;
      if (report.outcome === 'error') {
        const inAlert = report.alerts.some((alert) => printers(alert).length > 0 && alert.monitor?.message === report.message);
        let why = inAlert ? '' : `: ${report.message}${advice(report.problem)}`;
        if (report.problem === 'unauthorized' && tokenRejectedAt !== undefined) why = `: the API token was rejected, as for flow ${tokenRejectedAt}`;
        if (report.problem === 'unauthorized') tokenRejectedAt ??= flowId;
        writeLine(context.stdout, `flow ${flowId}: check failed (${report.problem})${why}${inFull}`);
      } else {
        const count = `${report.alerts.length} ${report.alerts.length === 1 ? 'alert' : 'alerts'}`;
        const dry = dryRun && report.alerts.length > 0 ? ' (dry run: not sent)' : '';
        writeLine(context.stdout, `flow ${flowId}: ${report.requests} ${report.requests === 1 ? 'request' : 'requests'}, ${count}${dry}${inFull}`);
      }
      for (const alert of report.alerts) if (printers(alert).length === 0) writeLine(context.stdout, `  ${findingLine(alert, report)}`);
      if (report.outcome !== 'error') for (const anomaly of report.anomalies) writeLine(context.stdout, `  note: ${anomaly.message}`);
    },
  };
}

/** `FAILED: Events to Snowflake attempt 42 — first error`; a monitor error's text only where the line above lacks it. */
function findingLine(alert: Alert, report: CheckReport): string {
  const attempt = alert.attempt === undefined ? '' : ` attempt ${alert.attempt.id}`;
  const said = report.outcome === 'error' ? report.message : undefined;
  const detail = alert.attempt?.errors[0] ?? (alert.monitor?.message === said ? undefined : alert.monitor?.message);
  return `${alertHeadline(alert)}${attempt}${detail === undefined || detail === '' ? '' : ` — ${detail}`}`;
}

/** What to do about a failed check, where Portable's error does not say (it does when a person must act). */
function advice(problem: MonitorProblem): string {
  if (problem === 'transient') return ' — Portable may be having trouble; run check again in a while';
  if (problem === 'malformed') return " — run check again; if it persists, Portable's API may have changed";
  return '';
}

/**
 * Waits up to DELIVERY_WAIT_MS for the sends this run queued, then says which went out (a count per notifier) and,
 * one line each, which did not and what to do. Returns how many did not go out.
 */
async function awaitDeliveries(context: CommandContext, queue: Queue<NotificationJobData>, queued: readonly Queued[]): Promise<number> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  const pending = new Map(queued.map((item) => [item.jobId, item]));
  const sent = new Map<string, number>();
  const lines: string[] = [];
  /** Held by a silence or window, or gathered into a digest: decided as the config says, so not a failure. */
  let decided = 0;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [id, item] of pending) {
      const job = await queue.getJob(id);
      const state = job === undefined ? 'completed' : await job.getState();
      if (state !== 'completed' && state !== 'failed') continue;
      pending.delete(id);
      const outcome: unknown = job?.returnvalue;
      if (state === 'completed' && outcome === 'held') {
        decided += 1;
        lines.push(`held, not sent through ${item.notifier}: ${alertHeadline(item.alert)}: a silence or maintenance window holds it (portable-watch status shows which); a running worker sends it at the end if it is still open.`);
      } else if (state === 'completed' && outcome === 'gathered') {
        decided += 1;
        lines.push(`gathered into ${item.notifier}'s next digest: ${alertHeadline(item.alert)} (a storm: more than its burst within its groupInterval); a running worker sends the digest.`);
      } else if (state === 'completed') sent.set(item.notifier, (sent.get(item.notifier) ?? 0) + 1);
      else lines.push(`not sent through ${item.notifier}: ${alertHeadline(item.alert)}: ${job?.failedReason ?? 'no reason given'}. Once that is fixed, \`portable-watch alerts retry --notifier ${item.notifier}\` queues it again for a worker to send.`);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const item of pending.values()) {
    const job = await queue.getJob(item.jobId);
    const last = job?.failedReason ? ` (last error: ${job.failedReason})` : '';
    lines.push(`not sent through ${item.notifier} within ${DELIVERY_WAIT_MS / 1000} s: ${alertHeadline(item.alert)}${last}. It stays queued: \`portable-watch alerts\` lists it, and a running worker (\`portable-watch start\`) sends it.`);
  }
  if (sent.size > 0) writeLine(context.stdout, `sent: ${[...sent].map(([notifier, count]) => `${notifier} ${count}`).join(', ')}`);
  for (const line of lines) writeLine(context.stdout, line);
  return queued.length - decided - [...sent.values()].reduce((sum, count) => sum + count, 0);
}
