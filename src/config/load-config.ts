import { readFile } from 'node:fs/promises';
import { checkReferences } from './check-references.ts';
import { watchConfigSchema } from './config-schema.ts';
import type { WatchConfig } from './config-schema.ts';
import { describeIssue, formatIssues } from './describe-issue.ts';
import type { Environment } from './interpolate-env.ts';
import { readYaml } from './read-yaml.ts';
import { fitStandIns } from './stand-ins.ts';

/**
 * Either a config the program can run on, or every problem with it, one line each
 * (`flows[1].maxRuntime: "soon" is not a duration (use 30s, 5m, 2h, 1d)`), so an operator
 * fixes the file in one pass rather than one error per run.
 */
export type ConfigResult = { ok: true; config: WatchConfig } | { ok: false; problems: string[] };

export interface LoadOptions {
  /**
   * `refuse` (the default): an unset `${VAR}` is a problem. `stand-in`: for commands that only read Redis
   * (`status`, `alerts`), a value whose variable is unset gets a made-up value of the right kind (see
   * stand-ins.ts) and is no problem unless nothing fits there; YAML and shape problems are reported as ever.
   * Such a config must never reach a notifier or the Portable client.
   */
  unsetVariables?: 'refuse' | 'stand-in';
}

/** Reads and checks the watched-flows file at `path`; `env` supplies `${VAR}` references. */
export async function loadConfig(path: string, env: Environment, options: LoadOptions = {}): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [unreadable(path, error)] };
  }
  return parseConfig(text, env, path, options);
}

/** `loadConfig` on text already read; `sourceName` names it in messages about the whole file. */
export function parseConfig(text: string, env: Environment, sourceName: string, options: LoadOptions = {}): ConfigResult {
  const reading = readYaml(text, env, { unsetVariables: options.unsetVariables === 'stand-in' ? 'keep' : 'refuse' });
  if (reading.value === undefined || reading.value === null) {
    // Schema checks on an unreadable document would only echo the syntax error in worse words.
    const problems = reading.problems.map((problem) => problem.text);
    return { ok: false, problems: problems.length > 0 ? problems : [`${sourceName} is empty (start from config/flows.example.yaml)`] };
  }
  const check = (data: unknown) => watchConfigSchema.safeParse(data, { error: describeIssue });
  if (reading.standIns.size > 0) fitStandIns(reading, (data) => [...(check(data).error?.issues ?? []), ...checkReferences(data)]);
  const parsed = check(reading.value);
  const issues = [...(parsed.success ? [] : parsed.error.issues), ...checkReferences(reading.value)];
  // In file order, so the operator can fix them top to bottom; sort is stable within a line.
  const problems = [...reading.problems, ...formatIssues(issues, reading.value, reading)]
    .sort((first, second) => first.line - second.line)
    .map((problem) => problem.text);
  if (parsed.success && problems.length === 0) return { ok: true, config: parsed.data };
  return { ok: false, problems: problems.length > 0 ? problems : [`${sourceName} is not a valid config`] };
}

function unreadable(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `config file not found: ${path} (start from a copy of config/flows.example.yaml, or set --config or CONFIG_PATH)`;
  if (code === 'EISDIR') return `config file is a directory: ${path} (set --config or CONFIG_PATH to a file)`;
  if (code === 'EACCES' || code === 'EPERM') return `config file cannot be read: ${path} (permission denied)`;
  return `config file cannot be read: ${path} (${error instanceof Error ? error.message : String(error)})`;
}
