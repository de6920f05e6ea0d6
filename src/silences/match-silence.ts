import { isMatch } from 'matcher';
import { isAboutFlow, routeKindOf, type Alert } from '../alerts/alert.ts';
import type { LabelSet } from '../routing/route-types.ts';
import type { Silence } from './silence-types.ts';

/*
 * Which alerts a silence holds. Pure: the caller reads the silences (silence-store.ts) and the clock.
 *
 * Name globs are matcher's (the same as issue 14's): `*` is any text, spaces and `/` included; `\` makes the next
 * character literal; a leading `!` matches every name the rest does not match; case is ignored. There is no `?`:
 * matcher has none, so a `?` matches only a `?`.
 *
 * A silence without any matcher (no flow, labels or name) matches nothing. The CLI cannot create one, and one that
 * reached Redis some other way should not quietly silence every flow. It follows that account- and installation-wide
 * alerts (the token revoked, Redis lost) are never silenced: they are about every flow at once, and no silence
 * names them.
 */

/** What a silence's matchers look at: the flow as alerts name it. */
export interface SilencedFlow {
  id: number;
  name: string;
  labels?: LabelSet;
}

/** Whether `silence` holds `alert` at `now`: in force, about a matching flow, of a kind it names (all when none). */
export function silenceMatches(silence: Silence, alert: Alert, now: number): boolean {
  if (!inForce(silence, now) || !isAboutFlow(alert)) return false;
  const kind = routeKindOf(alert);
  if (kind === undefined) return false;
  if (silence.kinds !== undefined && !silence.kinds.includes(kind)) return false;
  return silenceMatchesFlow(silence, { id: alert.flow.id, name: alert.flow.name, ...(alert.flow.labels === undefined ? {} : { labels: alert.flow.labels }) });
}

/**
 * Whether every matcher of the silence holds for `flow`, whatever the time and kind. `silence add` uses it to warn
 * about a silence that matches no watched flow.
 */
export function silenceMatchesFlow(silence: Pick<Silence, 'flow' | 'labels' | 'name'>, flow: SilencedFlow): boolean {
  if (!hasMatcher(silence)) return false;
  if (silence.flow !== undefined && silence.flow !== flow.id) return false;
  if (silence.labels !== undefined && !Object.entries(silence.labels).every(([key, value]) => flow.labels?.[key] === value)) return false;
  return silence.name === undefined || nameMatches(silence.name, flow.name);
}

/** Whether the glob matches the name (see the top of this file for the syntax). */
export function nameMatches(glob: string, name: string): boolean {
  return isMatch(name, glob, { caseSensitive: false });
}

export function hasMatcher(silence: Pick<Silence, 'flow' | 'labels' | 'name'>): boolean {
  return silence.flow !== undefined || (silence.labels !== undefined && Object.keys(silence.labels).length > 0) || silence.name !== undefined;
}

export function inForce(silence: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): boolean {
  return silence.startsAt <= now && now < silence.endsAt;
}

/**
 * The silence that holds the alert longest, when several do: the alert waits until that one ends, so it is the one
 * `status` names and the one whose end releases the alert. Ties go to the lower id, so replicas agree.
 */
export function firstMatchingSilence(silences: readonly Silence[], alert: Alert, now: number): Silence | undefined {
  let chosen: Silence | undefined;
  for (const silence of silences) {
    if (!silenceMatches(silence, alert, now)) continue;
    if (chosen === undefined || silence.endsAt > chosen.endsAt || (silence.endsAt === chosen.endsAt && silence.id < chosen.id)) chosen = silence;
  }
  return chosen;
}
