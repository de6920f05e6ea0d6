import { formatPath, type ConfigPath } from './config-path.ts';
import type { ConfigIssue } from './describe-issue.ts';
import { parseDuration } from './duration.ts';

/*
 * `scheduleRefresh` and `scheduleTimezone` may be written at the top level, under `portable:` or under `defaults:`,
 * since operators look for them in any of the three. Each is still one setting: written twice with different
 * values, which one wins would be a guess, so the file is refused naming both places. Like check-references.ts,
 * this reads the raw data, and skips what the schema refuses anyway.
 */

const PLACES: readonly ConfigPath[] = [[], ['portable'], ['defaults']];

const SETTINGS = [
  { key: 'scheduleRefresh', read: parseDuration, meaning: 'one refresh of every schedule' },
  { key: 'scheduleTimezone', read: canonicalTimezone, meaning: 'the time zone of every flow without its own' },
] as const;

export function checkInstallationSettings(data: unknown): ConfigIssue[] {
  if (!isRecord(data)) return [];
  return SETTINGS.flatMap(({ key, read, meaning }) => {
    let first: { path: ConfigPath; value: unknown } | undefined;
    const issues: ConfigIssue[] = [];
    for (const place of PLACES) {
      const section = place.length === 0 ? data : data[place[0] ?? ''];
      if (!isRecord(section) || section[key] == null) continue;
      const value = read(section[key]);
      if (value === undefined) continue;
      const path = [...place, key];
      if (first === undefined) first = { path, value };
      else if (value !== first.value) {
        issues.push({ path, message: `{value} differs from ${describePlace(first.path)} (both set ${meaning}: keep one of them)` });
      }
    }
    return issues;
  });
}

function describePlace(path: ConfigPath): string {
  return path.length === 1 ? `the top-level ${formatPath(path)}` : formatPath(path);
}

/** The zone's canonical name, so `utc` and `UTC` agree; undefined when Intl does not know it. */
function canonicalTimezone(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value.trim() }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
