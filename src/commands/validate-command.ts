import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import type { WatchConfig } from '../config/config-schema.ts';
import { writeLine } from './command.ts';
import type { Command, CommandContext } from './command.ts';

const DEFAULT_CONFIG_PATH = 'config/flows.yaml';

const USAGE = [
  'Usage: portable-watch validate [--config PATH]',
  '',
  'Options:',
  `  -c, --config PATH  the watched-flows file (default: $CONFIG_PATH, else ${DEFAULT_CONFIG_PATH})`,
].join('\n');

/**
 * `portable-watch validate`: checks the config file without contacting Portable or any notifier,
 * so it can run in CI before a deploy. Exit 0 with a summary, or 1 with every problem.
 */
export const validateCommand: Command = {
  summary: 'Check the watched-flows config file and list every problem in it.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const configPath = readConfigOption(context);
    if (configPath === undefined) return 1;
    const result = await loadConfig(resolve(context.cwd, configPath), context.env);
    if (!result.ok) {
      const count = result.problems.length;
      writeLine(context.stderr, `${configPath}: ${count} ${count === 1 ? 'problem' : 'problems'}`);
      for (const problem of result.problems) writeLine(context.stderr, `  ${problem}`);
      return 1;
    }
    writeLine(context.stdout, `${configPath}: OK — ${summarize(result.config)}`);
    return 0;
  },
};

/** The config path to check, or undefined after explaining the mistake in the arguments. */
function readConfigOption(context: CommandContext): string | undefined {
  try {
    const { values } = parseArgs({
      args: context.argv,
      options: { config: { type: 'string', short: 'c' } },
      allowPositionals: false,
      strict: true,
    });
    // An empty CONFIG_PATH is treated as unset, as shells make it easy to export one by accident.
    return values.config ?? (context.env.CONFIG_PATH || DEFAULT_CONFIG_PATH);
  } catch (error) {
    // Node's messages go on to explain `--`; the first sentence is the part that helps here.
    const message = error instanceof Error ? (error.message.split('. ')[0] ?? error.message) : String(error);
    writeLine(context.stderr, `portable-watch validate: ${message}\n`);
    writeLine(context.stderr, USAGE);
    return undefined;
  }
}

function summarize(config: WatchConfig): string {
  const flows = plural(config.flows.length, 'flow');
  const notifiers = Object.entries(config.notifiers).map(([name, notifier]) => `${name}: ${notifier.type}`);
  const notifierCount = plural(notifiers.length, 'notifier');
  return notifiers.length === 0 ? `${flows}, ${notifierCount}` : `${flows}, ${notifierCount} (${notifiers.join(', ')})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
