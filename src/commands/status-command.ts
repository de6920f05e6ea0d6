import { DEFAULT_ACCOUNT, flowKey } from '../accounts/flow-ref.ts';
import type { WatchConfig } from '../config/config-schema.ts';
import { readDiscovered } from '../discovery/discovery-refresher.ts';
import { connectRedis, redisTargetFrom, type RedisConnection } from '../redis/connect-redis.ts';
import { countOpenIncidents } from '../status/flow-status.ts';
import { readFlowStatus, type StatusTarget } from '../status/read-flow-status.ts';
import { renderStatusJson } from '../status/render-status-json.ts';
import { renderStatusTable } from '../status/render-status-table.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch status [--json] [--fail-on-incident] [--config PATH]',
  '',
  'Options:',
  '  --json             print JSON for scripts (each time as epoch ms and ISO 8601) instead of the table',
  '  --fail-on-incident exit 2 when a flow or the account has an open incident (Nagios-style)',
  CONFIG_OPTION_HELP,
  '',
  'Reads what the worker recorded in Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS; QUEUE_PREFIX) and',
  'changes nothing; no worker needs to run, and none of the secrets the config refers to need be set. Under a flow,',
  'its alerts not sent yet, per notifier: waiting, retrying or given up (portable-watch alerts lists them).',
  'Exit status: 0 when read (even with open incidents: they were already alerted); 1 when the config or Redis',
  'cannot be read; 2 with --fail-on-incident when an incident is open.',
].join('\n');

/** Exit status for "read fine, and something is wrong", as Nagios-style checks expect (2 = critical). */
const INCIDENT_EXIT = 2;

/** `portable-watch status`: what the worker last saw of each flow, without starting one. */
export const statusCommand: Command = {
  summary: 'Show each flow\'s last and next check, checkpoint, open incident, last alert and unsent alerts (read-only).',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'status', USAGE, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      'fail-on-incident': { type: 'boolean' },
    });
    if (values === undefined) return 1;
    // Only flows, names and notifier names are used: a config whose secrets are unset still serves.
    const config = await loadConfigOrReport(context, configPathOf(values.config, context), { unsetVariables: 'stand-in' });
    if (config === undefined) return 1;
    const target = redisTargetFrom(context.env);
    const redis = await connectRedis(target, { role: 'command' });
    try {
      const report = await readFlowStatus({
        redis,
        prefix: target.prefix,
        flows: await statusTargets(config, redis, target.prefix),
        now: Date.now(),
      });
      writeLine(context.stdout, values.json === true ? renderStatusJson(report) : renderStatusTable(report));
      return values['fail-on-incident'] === true && countOpenIncidents(report) > 0 ? INCIDENT_EXIT : 0;
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
  },
};

/**
 * The flows listed under flows: and those `discover:` watches now (as the worker last wrote them to Redis), each with
 * its account when the installation has named accounts: the rows of the table.
 */
async function statusTargets(config: WatchConfig, redis: RedisConnection, prefix: string): Promise<StatusTarget[]> {
  const named = Object.keys(config.accounts).some((name) => name !== DEFAULT_ACCOUNT);
  const accountOf = (account: string) => (named ? { account } : {});
  const listed = config.flows.map((flow) => ({ id: flow.id, name: flow.name, ...accountOf(flow.account) }));
  if (config.discover.length === 0) return listed;
  const keys = new Set(config.flows.map(flowKey));
  const discovered = (await readDiscovered(redis, prefix))
    .filter((flow) => !keys.has(flowKey(flow)))
    .sort((first, second) => first.account.localeCompare(second.account) || first.id - second.id);
  return [...listed, ...discovered.map((flow) => ({ id: flow.id, name: flow.name, ...accountOf(flow.account) }))];
}
