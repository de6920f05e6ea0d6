import { parseArgs } from 'node:util';
import { ROUTE_KINDS } from '../alerts/alert.ts';
import type { WatchConfig } from '../config/config-schema.ts';
import { connectRedis, redisTargetFrom } from '../redis/connect-redis.ts';
import { silenceMatchesFlow } from '../silences/match-silence.ts';
import { parseKinds, parseMatchers, silenceEnd } from '../silences/silence-input.ts';
import { describeMatchers, describeSilence, renderSilencesJson, renderSilencesTable } from '../silences/render-silences.ts';
import { createSilenceStore, type SilenceStore } from '../silences/silence-store.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch silence add (--flow ID | --label KEY=VALUE | --name GLOB)... [--kind KIND,...]',
  '                                  (--for DURATION | --until TIME) --reason TEXT [--config PATH]',
  '       portable-watch silence list [--json] [--config PATH]',
  '       portable-watch silence remove ID',
  '',
  'A silence holds the alerts of the flows it matches until it ends: they are recorded (status shows them, with',
  'the silence) but not sent. If a flow\'s incident is still open when the silence ends, one alert is sent then.',
  '`add` prints the new silence\'s id alone on stdout (for scripts) and what it silences on stderr.',
  '',
  'Options of add (give at least one of --flow, --label, --name; all that are given must hold):',
  '  --flow ID          the flow with this Portable id',
  '  --label KEY=VALUE  flows with this label (repeat for several; a flow needs every one); with several accounts,',
  '                     account=NAME picks one account\'s flows (--flow 42 --label account=prod)',
  '  --name GLOB        flows whose name (as alerts show it) matches: * is any text, case is ignored, \\ makes the',
  '                     next character literal, a leading ! matches the names the rest does not; there is no ?',
  `  --kind KIND,...    only these kinds (${ROUTE_KINDS.join(', ')}); default every kind.`,
  '                     A recovery counts as the kind it ends.',
  '  --for DURATION     how long, e.g. 30m, 2h, 1d12h (at most 90d)',
  '  --until TIME       when it ends, ISO 8601: 2026-12-02T18:00:00Z, 2026-12-02T18:00+01:00; a time without an',
  '                     offset, like 2026-12-02 18:00, is UTC (at most 90 days ahead)',
  '  --reason TEXT      why, and who to ask: shown in `silence list` and `status`',
  '',
  'Options of list:',
  '  --json             print JSON for scripts (each time as epoch ms and ISO 8601) instead of the table',
  CONFIG_OPTION_HELP,
  '',
  'Silences are kept in Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS; QUEUE_PREFIX), shared by every',
  'worker, and end by themselves. Account-wide alerts (a revoked token, Redis lost) are never silenced. `remove`',
  'reads only Redis, so a broken config never stands between you and your alerts.',
  'Exit status: 0 when done; 1 for a mistake in the options, an unreadable config or Redis, or no such silence.',
].join('\n');

/** `portable-watch silence add|list|remove`: hold the alerts of some flows for a while, from a shell. */
export const silenceCommand: Command = {
  summary: 'Silence the alerts of some flows for a while (`silence add|list|remove`); stored in Redis for every worker.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const [action, ...argv] = context.argv;
    const rest = { ...context, argv };
    if (action === 'add') return add(rest);
    if (action === 'list') return list(rest);
    if (action === 'remove') return remove(rest);
    const what = action === undefined ? 'say what to do: add, list or remove' : `unknown action "${action}" (use add, list or remove)`;
    return mistake(context, 'silence', what);
  },
};

async function add(context: CommandContext): Promise<number> {
  const values = parseOptions(context, 'silence add', USAGE, {
    config: { type: 'string', short: 'c' },
    flow: { type: 'string' },
    label: { type: 'string', multiple: true },
    name: { type: 'string' },
    kind: { type: 'string', multiple: true },
    for: { type: 'string' },
    until: { type: 'string' },
    reason: { type: 'string' },
  });
  if (values === undefined) return 1;
  const now = Date.now();
  const matchers = parseMatchers(values);
  if ('problem' in matchers) return mistake(context, 'silence add', matchers.problem);
  const kinds = values.kind === undefined ? undefined : parseKinds(values.kind);
  if (kinds !== undefined && 'problem' in kinds) return mistake(context, 'silence add', kinds.problem);
  const end = silenceEnd(values, now);
  if ('problem' in end) return mistake(context, 'silence add', end.problem);
  const reason = values.reason?.trim() ?? '';
  if (reason === '') return mistake(context, 'silence add', 'give a --reason: whoever finds the silence needs to know why, and whom to ask');

  const configPath = configPathOf(values.config, context);
  const config = await loadConfigOrReport(context, configPath, { unsetVariables: 'stand-in' });
  if (config === undefined) return 1;
  const silence = await withStore(context, (store) =>
    store.add({ ...matchers.matchers, ...(kinds === undefined ? {} : { kinds: kinds.kinds }), startsAt: now, endsAt: end.endsAt, reason }, now),
  );
  writeLine(context.stdout, silence.id);
  writeLine(context.stderr, describeSilence(silence, now, flowNames(config)));
  if (!config.flows.some((flow) => silenceMatchesFlow(silence, { ...flow, name: flow.name ?? String(flow.id) }))) {
    const count = config.flows.length;
    writeLine(
      context.stderr,
      `warning: this silence (${describeMatchers(silence)}) matches none of the ${count} ${count === 1 ? 'flow' : 'flows'} in ${configPath} now; it holds the alerts of any flow that matches before it ends`,
    );
  }
  return 0;
}

async function list(context: CommandContext): Promise<number> {
  const values = parseOptions(context, 'silence list', USAGE, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
  if (values === undefined) return 1;
  // Only flow names are read: a config whose secrets are unset still serves.
  const config = await loadConfigOrReport(context, configPathOf(values.config, context), { unsetVariables: 'stand-in' });
  if (config === undefined) return 1;
  const now = Date.now();
  const silences = await withStore(context, (store) => store.list(now));
  writeLine(context.stdout, values.json === true ? renderSilencesJson(silences) : renderSilencesTable(silences, now, flowNames(config)));
  return 0;
}

async function remove(context: CommandContext): Promise<number> {
  let parsed: { values: { config?: string | undefined }; positionals: string[] };
  try {
    // --config is accepted, and not read, so that scripts can pass the same options to every action.
    parsed = parseArgs({ args: context.argv, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return mistake(context, 'silence remove', error instanceof Error ? (error.message.split('. ')[0] ?? error.message) : String(error));
  }
  const [id, ...extra] = parsed.positionals;
  if (id === undefined) return mistake(context, 'silence remove', 'give the id of the silence to remove (silence list shows them)');
  if (extra.length > 0) return mistake(context, 'silence remove', `give one id, not ${parsed.positionals.length}`);
  const now = Date.now();
  const outcome = await withStore(context, async (store) => {
    const silence = await store.get(id);
    const removed = await store.remove(id);
    return removed && silence !== undefined && silence.endsAt > now;
  });
  if (!outcome) {
    writeLine(context.stderr, `no silence ${id} (silence list shows the current ones)`);
    return 1;
  }
  writeLine(context.stdout, `removed ${id}`);
  return 0;
}

/** The names the config gives flows, to show beside their ids. */
function flowNames(config: WatchConfig): Map<number, string> {
  return new Map(config.flows.flatMap((flow) => (flow.name === undefined ? [] : [[flow.id, flow.name] as const])));
}

function mistake(context: CommandContext, command: string, problem: string): number {
  writeLine(context.stderr, `portable-watch ${command}: ${problem}\n`);
  writeLine(context.stderr, USAGE);
  return 1;
}

async function withStore<T>(context: CommandContext, use: (store: SilenceStore) => Promise<T>): Promise<T> {
  const target = redisTargetFrom(context.env);
  const redis = await connectRedis(target, { role: 'command' });
  try {
    return await use(createSilenceStore(redis, target.prefix));
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
