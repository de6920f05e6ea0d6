import { formatPath } from './config-path.ts';
import type { ConfigPath } from './config-path.ts';
import type { StandIn, YamlReading } from './read-yaml.ts';

/**
 * For commands that only read Redis (`status`, `alerts`): a value whose `${VAR}` is unset is given a stand-in the
 * schema accepts where it stands, so the file loads without the secrets and every other problem is still
 * reported. The value as written comes first (`${SLACK_WEBHOOK_URL}` is fine as a token or a name), then one value
 * of each kind the schema takes as text. There is deliberately no number: a flow id from an unset variable fits
 * nowhere, and its problem is reported, since a read-only command needs the flows.
 *
 * A config loaded this way holds made-up URLs and tokens: it must never reach a notifier or the Portable client.
 */
// A time zone, a percentage and a detection rule are kinds of their own; '1m' serves as duration, maxRuntime and schedule.
// A webhook's signing secret must be base64 of 16 bytes or more: 'whsec_' + base64 of 'unset stand-in secret'.
const STAND_INS = ['https://unset.invalid/{id}', 'smtp://unset.invalid', 'unset@unset.invalid', '1m', 'true', 'UTC', '0%', 'failed', 'whsec_dW5zZXQgc3RhbmQtaW4gc2VjcmV0'] as const;

interface Issue {
  path: readonly PropertyKey[];
}

/**
 * Tries the stand-ins in order on each value that `issuesOf` (the schema and the cross-field checks) refuses,
 * round after round, until every value fits or has run out of stand-ins. A value that fits none gets its
 * unset-variable problems reported, and its path marked unresolved so that the complaint about the stand-in is
 * not reported as well.
 */
export function fitStandIns(reading: YamlReading, issuesOf: (data: unknown) => readonly Issue[]): void {
  const tried = new Map<string, number>();
  const exhausted = new Set<string>();
  for (;;) {
    const refused = refusedStandIns(reading.standIns, issuesOf(reading.value)).filter(([key]) => !exhausted.has(key));
    if (refused.length === 0) return;
    for (const [key, standIn] of refused) {
      const index = (tried.get(key) ?? -1) + 1;
      if (index < STAND_INS.length) {
        tried.set(key, index);
        setAt(reading.value, standIn.path, STAND_INS[index] ?? '');
        continue;
      }
      exhausted.add(key);
      reading.unresolved.add(key);
      reading.problems.push(...standIn.problems.map((problem) => ({ line: standIn.line, text: `${key}: ${problem}` })));
    }
  }
}

/** Stand-ins with a schema issue at or below their path, each once. */
function refusedStandIns(standIns: ReadonlyMap<string, StandIn>, issues: readonly Issue[]): Array<[string, StandIn]> {
  const refused = new Map<string, StandIn>();
  for (const issue of issues) {
    const key = formatPath(issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol'));
    for (const [standInKey, standIn] of standIns) {
      if (key === standInKey || key.startsWith(`${standInKey}.`) || key.startsWith(`${standInKey}[`)) refused.set(standInKey, standIn);
    }
  }
  return [...refused];
}

function setAt(data: unknown, path: ConfigPath, value: string): void {
  let parent = data;
  for (const segment of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return;
    parent = (parent as Record<string | number, unknown>)[segment];
  }
  const last = path.at(-1);
  if (typeof parent === 'object' && parent !== null && last !== undefined) (parent as Record<string | number, unknown>)[last] = value;
}
