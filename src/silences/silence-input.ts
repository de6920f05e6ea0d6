import { ROUTE_KINDS, type RouteKind } from '../alerts/alert.ts';
import { nearestKey } from '../config/closed-object.ts';
import { labelKeyProblem } from '../config/noise-settings.ts';
import type { LabelSet } from '../routing/route-types.ts';
import { parseFor, parseUntil, type SilenceEnd } from './parse-until.ts';

/*
 * What a person typed to make a silence — `silence add`'s options or the status page's form — read into the
 * silence's matchers, kinds and end, with a message saying what to fix. One reading, so a shell and a browser
 * refuse and accept the same things.
 */

export type Matchers = { flow?: number; labels?: LabelSet; name?: string };

export function parseMatchers(values: { flow?: string | undefined; label?: string[] | undefined; name?: string | undefined }): { matchers: Matchers } | { problem: string } {
  const matchers: Matchers = {};
  if (values.flow !== undefined) {
    const id = /^\d+$/.test(values.flow.trim()) ? Number(values.flow.trim()) : NaN;
    if (!Number.isSafeInteger(id) || id <= 0) return { problem: `--flow "${values.flow}" is not a Portable flow id (a positive whole number, e.g. 689422)` };
    matchers.flow = id;
  }
  if (values.label !== undefined) {
    const labels: Record<string, string> = {};
    for (const text of values.label) {
      const at = text.indexOf('=');
      const [key, value] = at < 0 ? [text.trim(), ''] : [text.slice(0, at).trim(), text.slice(at + 1).trim()];
      if (key === '' || value === '') return { problem: `--label "${text}" is not KEY=VALUE (e.g. --label team=growth)` };
      // A key no flow can have would make a silence that holds nothing. `account` is no key a config may set, but
      // with accounts: every flow carries it: `--flow 42 --label account=prod` is prod's flow 42 only.
      const keyProblem = key === 'account' ? undefined : labelKeyProblem(key);
      if (keyProblem !== undefined) return { problem: `--label "${text}": ${keyProblem}` };
      if (Object.hasOwn(labels, key) && labels[key] !== value) return { problem: `--label ${key} is given twice: a flow has one value per label, so no flow could match` };
      labels[key] = value;
    }
    matchers.labels = labels;
  }
  if (values.name !== undefined) {
    if (values.name.trim() === '') return { problem: '--name is empty (give a glob such as "warehouse*")' };
    matchers.name = values.name.trim();
  }
  if (Object.keys(matchers).length === 0) return { problem: 'say what to silence: --flow ID, --label KEY=VALUE or --name GLOB (several may be combined)' };
  return { matchers };
}

/** `--kind failed,stalled --kind missed` → the kinds, each once, in ROUTE_KINDS order. */
export function parseKinds(texts: readonly string[]): { kinds: RouteKind[] } | { problem: string } {
  const names = texts.flatMap((text) => text.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) return { problem: `--kind is empty (name one or more of ${ROUTE_KINDS.join(', ')}, or leave it out for every kind)` };
  for (const name of names) {
    if ((ROUTE_KINDS as readonly string[]).includes(name)) continue;
    const nearest = nearestKey(name, ROUTE_KINDS);
    const hint = nearest === undefined ? '' : `did you mean "${nearest}"? `;
    return { problem: `--kind "${name}" is not a kind (${hint}known kinds: ${ROUTE_KINDS.join(', ')})` };
  }
  return { kinds: ROUTE_KINDS.filter((kind) => names.includes(kind)) };
}

export function silenceEnd(values: { for?: string | undefined; until?: string | undefined }, now: number): SilenceEnd {
  if (values.for !== undefined && values.until !== undefined) return { problem: 'give --for or --until, not both' };
  if (values.for !== undefined) return parseFor(values.for, now);
  if (values.until !== undefined) return parseUntil(values.until, now);
  return { problem: 'say how long: --for DURATION (e.g. 2h) or --until TIME (e.g. 2026-12-02T18:00:00Z)' };
}
