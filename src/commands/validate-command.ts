import type { WatchConfig } from '../config/config-schema.ts';
import { writeLine } from './command.ts';
import type { Command, CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = ['Usage: portable-watch validate [--config PATH]', '', 'Options:', CONFIG_OPTION_HELP].join('\n');

/**
 * `portable-watch validate`: checks the config file without contacting Portable or any notifier,
 * so it can run in CI before a deploy. Exit 0 with a summary, or 1 with every problem.
 */
export const validateCommand: Command = {
  summary: 'Check the watched-flows config file and list every problem in it.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'validate', USAGE, { config: { type: 'string', short: 'c' } });
    if (values === undefined) return 1;
    const configPath = configPathOf(values.config, context);
    const config = await loadConfigOrReport(context, configPath);
    if (config === undefined) return 1;
    writeLine(context.stdout, `${configPath}: OK — ${summarize(config)}`);
    return 0;
  },
};

function summarize(config: WatchConfig): string {
  const flows = plural(config.flows.length, 'flow');
  const notifiers = Object.entries(config.notifiers).map(([name, notifier]) => `${name}: ${notifier.type}`);
  const notifierCount = plural(notifiers.length, 'notifier');
  return notifiers.length === 0 ? `${flows}, ${notifierCount}` : `${flows}, ${notifierCount} (${notifiers.join(', ')})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
