import type * as z from 'zod';
import { formatPath, isSecretPath } from './config-path.ts';
import type { ConfigPath } from './config-path.ts';
import { lineOfPath } from './read-yaml.ts';
import type { LocatedProblem, YamlReading } from './read-yaml.ts';

/** A problem before it is printed: zod issues have this shape, and so do the cross-field checks. */
export interface ConfigIssue {
  path: readonly PropertyKey[];
  /** May hold `{value}`, filled in by `formatIssues` only when printing the value is safe. */
  message: string;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/**
 * Wording for the issues the schema leaves to zod, mostly wrong types. Given to `safeParse` as its
 * error map. Describes the kind of value found, never the value: this runs without knowing the path,
 * so it cannot tell a token from a name.
 */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const { input } = issue;
  if (input === undefined) return 'is required';
  if (input === null) return 'has no value (give it one, or remove the key)';
  const found = kindOf(input);
  if (issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    return `expected text, got ${found} (put it in quotes)`;
  }
  if (issue.expected === 'array' && typeof input === 'string') return `expected a list, got ${found} (write it as [a, b])`;
  return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${found}`;
}

/**
 * Problem lines, `path: message`, one per issue. Issues under a path whose `${VAR}` could not be
 * resolved are dropped: the missing variable is the problem there, and it is already reported.
 */
export function formatIssues(
  issues: readonly ConfigIssue[],
  data: unknown,
  reading: Pick<YamlReading, 'lines' | 'templates' | 'unresolved'>,
): LocatedProblem[] {
  const problems = new Map<string, LocatedProblem>();
  for (const issue of issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    const key = formatPath(path);
    if (isUnder(key, reading.unresolved)) continue;
    const text = `${key}: ${issue.message.replaceAll('{value}', () => showValue(path, data, reading.templates))}`;
    problems.set(text, { line: lineOfPath(path, reading.lines), text });
  }
  return [...problems.values()];
}

/**
 * The offending value as a message may show it. Secrets are never shown; values from the
 * environment are shown as the `${...}` text written in the file, since the variable may hold
 * something the operator never meant to see printed.
 */
function showValue(path: ConfigPath, data: unknown, templates: ReadonlyMap<string, string>): string {
  if (isSecretPath(path)) return 'the value';
  const template = templates.get(formatPath(path));
  if (template !== undefined) return `the value of "${template}"`;
  const value = valueAt(data, path);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return kindOf(value);
}

function kindOf(value: unknown): string {
  if (value === undefined || value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function isUnder(key: string, parents: ReadonlySet<string>): boolean {
  for (const parent of parents) {
    if (key === parent || key.startsWith(`${parent}.`) || key.startsWith(`${parent}[`)) return true;
  }
  return false;
}
