import { readFile } from 'node:fs/promises';
import { checkReferences } from './check-references.ts';
import { watchConfigSchema } from './config-schema.ts';
import type { WatchConfig } from './config-schema.ts';
import { describeIssue, formatIssues } from './describe-issue.ts';
import type { Environment } from './interpolate-env.ts';
import { readYaml } from './read-yaml.ts';

/**
 * Either a config the program can run on, or every problem with it, one line each
 * (`flows[1].maxRuntime: "soon" is not a duration (use 30s, 5m, 2h, 1d)`), so an operator
 * fixes the file in one pass rather than one error per run.
 */
export type ConfigResult = { ok: true; config: WatchConfig } | { ok: false; problems: string[] };

/** Reads and checks the watched-flows file at `path`; `env` supplies `${VAR}` references. */
export async function loadConfig(path: string, env: Environment): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [unreadable(path, error)] };
  }
  return parseConfig(text, env, path);
}

/** `loadConfig` on text already read; `sourceName` names it in messages about the whole file. */
export function parseConfig(text: string, env: Environment, sourceName: string): ConfigResult {
  const reading = readYaml(text, env);
  if (reading.value === undefined || reading.value === null) {
    // Schema checks on an unreadable document would only echo the syntax error in worse words.
    const problems = reading.problems.map((problem) => problem.text);
    return { ok: false, problems: problems.length > 0 ? problems : [`${sourceName} is empty (start from config/flows.example.yaml)`] };
  }
  const parsed = watchConfigSchema.safeParse(reading.value, { error: describeIssue });
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
  if (code === 'ENOENT') return `config file not found: ${path} (set --config or CONFIG_PATH)`;
  if (code === 'EISDIR') return `config file is a directory: ${path} (set --config or CONFIG_PATH to a file)`;
  if (code === 'EACCES' || code === 'EPERM') return `config file cannot be read: ${path} (permission denied)`;
  return `config file cannot be read: ${path} (${error instanceof Error ? error.message : String(error)})`;
}
