import { Queue } from 'bullmq';
import type { WatchConfig } from '../config/config-schema.ts';
import { NOTIFICATION_QUEUE, type NotificationJobData } from '../delivery/notification-queue.ts';
import { readUnsentAlerts } from '../delivery/read-unsent-alerts.ts';
import { retryGivenUp, type RetryCount } from '../delivery/retry-given-up.ts';
import { connectRedis, redisTargetFrom, type RedisConnection } from '../redis/connect-redis.ts';
import { renderAlertsJson } from '../status/render-alerts-json.ts';
import { renderAlertsTable } from '../status/render-alerts-table.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch alerts [--json] [--config PATH]',
  '       portable-watch alerts retry (--notifier NAME | --all) [--config PATH]',
  '',
  'Lists the alerts not delivered yet, one per alert and notifier: waiting for their first send, retrying after a',
  'failure, or given up (the notifier refused for good, e.g. a revoked Slack webhook, or every retry failed), each',
  'with its flow, age, attempts and last error. `alerts retry` sends the given-up alerts again once the cause is',
  'fixed: it puts each back in the queue (never a copy, never one already delivered) and a running worker sends it.',
  '',
  'Options:',
  '  --json             print JSON for scripts instead of the table',
  '  --notifier NAME    retry: the alerts given up for this notifier',
  '  --all              retry: the alerts given up for every notifier in the config',
  CONFIG_OPTION_HELP,
  '',
  'Reads Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS; QUEUE_PREFIX) and none of the secrets the config',
  'refers to, so the variables they come from need not be set. Only `alerts retry` changes anything.',
  'Exit status: 0 when read (or re-queued, even none); 1 when the options, the config or Redis cannot be used.',
].join('\n');

/** `portable-watch alerts`: what the notifications queue has not delivered, and sending the given-up ones again. */
export const alertsCommand: Command = {
  summary: 'List alerts waiting, retrying or given up, with their errors; `alerts retry` sends given-up ones again.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    if (context.argv[0] === 'retry') return retry({ ...context, argv: context.argv.slice(1) });
    const values = parseOptions(context, 'alerts', USAGE, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
    if (values === undefined) return 1;
    const config = await loadConfigOrReport(context, configPathOf(values.config, context), { unsetVariables: 'stand-in' });
    if (config === undefined) return 1;
    return withNotifications(context, async ({ queue }) => {
      const report = { now: Date.now(), alerts: await readUnsentAlerts(queue) };
      writeLine(context.stdout, values.json === true ? renderAlertsJson(report) : renderAlertsTable(report));
      return 0;
    });
  },
};

async function retry(context: CommandContext): Promise<number> {
  const values = parseOptions(context, 'alerts retry', USAGE, {
    config: { type: 'string', short: 'c' },
    notifier: { type: 'string' },
    all: { type: 'boolean' },
  });
  if (values === undefined) return 1;
  if ((values.notifier === undefined) === (values.all !== true)) {
    // Resending everything is never the default: a fixed Slack webhook says nothing about a broken mail server.
    const choose = values.all === true ? 'give either --notifier NAME or --all, not both' : 'choose what to send again: --notifier NAME, or --all for every notifier';
    writeLine(context.stderr, `portable-watch alerts retry: ${choose}\n`);
    writeLine(context.stderr, USAGE);
    return 1;
  }
  const config = await loadConfigOrReport(context, configPathOf(values.config, context), { unsetVariables: 'stand-in' });
  if (config === undefined) return 1;
  const notifiers = chosenNotifiers(context, config, values.notifier);
  if (notifiers === undefined) return 1;
  return withNotifications(context, async ({ queue, redis, prefix }) => {
    const { counts, notChosen } = await retryGivenUp({ queue, redis, prefix, notifiers });
    for (const count of counts) writeLine(context.stdout, `${count.notifier}: ${countText(count)}`);
    for (const { notifier, givenUp } of notChosen) {
      const why = Object.hasOwn(config.notifiers, notifier) ? `choose them with --notifier ${notifier}` : 'not in the config: add the notifier back to send them';
      writeLine(context.stdout, `${notifier}: ${givenUp} given up, left as they are (${why})`);
    }
    const requeued = counts.reduce((sum, count) => sum + count.requeued, 0);
    const alerts = `${requeued} ${requeued === 1 ? 'alert' : 'alerts'} re-queued`;
    writeLine(context.stdout, requeued === 0 ? alerts : `${alerts}; a running worker (portable-watch start) sends them.`);
    return 0;
  });
}

/** Every configured notifier, or the one named; undefined (after saying why) for a name the config lacks. */
function chosenNotifiers(context: CommandContext, config: WatchConfig, name: string | undefined): string[] | undefined {
  const configured = Object.keys(config.notifiers);
  if (name === undefined) return configured;
  if (configured.includes(name)) return [name];
  const known = configured.length === 0 ? 'none are configured' : `configured: ${configured.join(', ')}`;
  writeLine(context.stderr, `portable-watch alerts retry: no notifier named "${name}" in the config (${known})`);
  return undefined;
}

function countText(count: RetryCount): string {
  const parts: string[] = [];
  if (count.requeued > 0) parts.push(`${count.requeued} re-queued`);
  if (count.alreadyDelivered > 0) parts.push(`${count.alreadyDelivered} already delivered, not sent again`);
  if (count.takenElsewhere > 0) parts.push(`${count.takenElsewhere} re-queued by another run at the same time`);
  return parts.length === 0 ? 'nothing given up' : parts.join(', ');
}

/** Opens the notifications queue without BullMQ's meta write, so listing changes nothing; closes all afterwards. */
async function withNotifications(
  context: CommandContext,
  use: (parts: { queue: Queue<NotificationJobData>; redis: RedisConnection; prefix: string }) => Promise<number>,
): Promise<number> {
  const target = redisTargetFrom(context.env);
  const redis = await connectRedis(target, { role: 'command' });
  const queue = new Queue<NotificationJobData>(NOTIFICATION_QUEUE, { connection: redis, prefix: target.prefix, skipMetasUpdate: true });
  try {
    return await use({ queue, redis, prefix: target.prefix });
  } finally {
    // The connection is ours, not the queue's: close() leaves it open.
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
