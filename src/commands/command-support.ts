import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { WatchConfig } from '../config/config-schema.ts';
import { loadConfig, type LoadOptions } from '../config/load-config.ts';
import { writeLine, type CommandContext } from './command.ts';

export const DEFAULT_CONFIG_PATH = 'config/flows.yaml';

export const CONFIG_OPTION_HELP = `  -c, --config PATH  the watched-flows file (default: $CONFIG_PATH, else ${DEFAULT_CONFIG_PATH})`;

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a subcommand's options; on a mistake explains it with the usage and returns undefined. */
export function parseOptions<T extends Options>(
  context: CommandContext,
  command: string,
  usage: string,
  options: T,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>['values'] | undefined {
  try {
    return parseArgs({ args: context.argv, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    // Node's messages go on to explain `--`; the first sentence is the part that helps here.
    const message = error instanceof Error ? (error.message.split('. ')[0] ?? error.message) : String(error);
    writeLine(context.stderr, `portable-watch ${command}: ${message}\n`);
    writeLine(context.stderr, usage);
    return undefined;
  }
}

/** --config, else $CONFIG_PATH (an empty one counts as unset: shells make it easy to export one by accident). */
export function configPathOf(option: string | undefined, context: CommandContext): string {
  return option ?? (context.env.CONFIG_PATH || DEFAULT_CONFIG_PATH);
}

/**
 * Loads the config, or prints every problem exactly as `validate` does and returns undefined. Commands that only
 * read Redis pass `unsetVariables: 'stand-in'`, so they work where the secrets are not set.
 */
export async function loadConfigOrReport(context: CommandContext, configPath: string, options: LoadOptions = {}): Promise<WatchConfig | undefined> {
  const result = await loadConfig(resolve(context.cwd, configPath), context.env, options);
  if (result.ok) return result.config;
  const count = result.problems.length;
  writeLine(context.stderr, `${configPath}: ${count} ${count === 1 ? 'problem' : 'problems'}`);
  for (const problem of result.problems) writeLine(context.stderr, `  ${problem}`);
  return undefined;
}
