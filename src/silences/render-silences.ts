import { jsonTime } from '../status/render-status-json.ts';
import { alignColumns, printable, truncate } from '../status/terminal-text.ts';
import { isoText } from './parse-until.ts';
import type { Silence } from './silence-types.ts';

/*
 * How silences read to people (`silence add`'s summary, `silence list`) and to scripts (`silence list --json`).
 * Reasons and globs were typed by people, possibly pasted: control characters never reach the terminal.
 */

/** `flow 689422 (Orders load), labels team=growth, name "warehouse*"`: every matcher, all of which must hold. */
export function describeMatchers(silence: Pick<Silence, 'flow' | 'labels' | 'name'>, flowNames: ReadonlyMap<number, string> = new Map()): string {
  const parts: string[] = [];
  if (silence.flow !== undefined) {
    const name = flowNames.get(silence.flow);
    parts.push(name === undefined ? `flow ${silence.flow}` : `flow ${silence.flow} (${printable(name)})`);
  }
  const labels = Object.entries(silence.labels ?? {});
  if (labels.length > 0) parts.push(`${labels.length === 1 ? 'label' : 'labels'} ${labels.map(([key, value]) => printable(`${key}=${value}`)).join(', ')}`);
  if (silence.name !== undefined) parts.push(`name "${printable(silence.name)}"`);
  return parts.length === 0 ? 'nothing' : parts.join(' and ');
}

export function describeKinds(silence: Pick<Silence, 'kinds'>): string {
  return silence.kinds === undefined ? 'every kind' : silence.kinds.join(', ');
}

/** `silenced flow 689422 (failed, stalled) until 2026-12-02T18:00:00Z (in 2h): warehouse upgrade`. */
export function describeSilence(silence: Silence, now: number, flowNames?: ReadonlyMap<number, string>): string {
  const ends = `${isoText(silence.endsAt)} (${formatRemaining(silence.endsAt, now)})`;
  return `silenced ${describeMatchers(silence, flowNames)} (${describeKinds(silence)}) until ${ends}: ${printable(silence.reason)}`;
}

/** Long globs and label lists are cut so that the reason, the part people read, starts in one column. */
const MATCHES_WIDTH = 40;

interface Column {
  header: string;
  cell(silence: Silence, now: number, flowNames: ReadonlyMap<number, string>): string;
}

const COLUMNS: Column[] = [
  { header: 'ID', cell: (silence) => silence.id },
  { header: 'MATCHES', cell: (silence, _now, flowNames) => truncate(describeMatchers(silence, flowNames), MATCHES_WIDTH) },
  { header: 'KINDS', cell: (silence) => describeKinds(silence) },
  { header: 'ENDS', cell: (silence, now) => `${isoText(silence.endsAt)} (${formatRemaining(silence.endsAt, now)})` },
  // Last and never cut: it says why, and whom to ask.
  { header: 'REASON', cell: (silence, now) => printable(silence.startsAt > now ? `(starts ${isoText(silence.startsAt)}) ${silence.reason}` : silence.reason) },
];

/** The human form of `silence list`; `silences` as the store lists them (not ended, soonest to end first). */
export function renderSilencesTable(silences: readonly Silence[], now: number, flowNames: ReadonlyMap<number, string> = new Map()): string {
  if (silences.length === 0) return 'No silences.';
  const rows = silences.map((silence) => COLUMNS.map((column) => column.cell(silence, now, flowNames)));
  return alignColumns(COLUMNS.map((column) => column.header), rows).join('\n');
}

/**
 * The `--json` form: times as `{ ms, iso }` like `status --json`; null for a matcher not given, and `kinds` null
 * for every kind (including kinds later versions add). Field names are a contract with scripts.
 */
export function renderSilencesJson(silences: readonly Silence[]): string {
  const json = silences.map((silence) => ({
    id: silence.id,
    flow: silence.flow ?? null,
    labels: silence.labels ?? null,
    name: silence.name ?? null,
    kinds: silence.kinds ?? null,
    startsAt: jsonTime(silence.startsAt),
    endsAt: jsonTime(silence.endsAt),
    reason: silence.reason,
    createdAt: jsonTime(silence.createdAt),
  }));
  return JSON.stringify(json, null, 2);
}

const UNITS = [
  ['d', 24 * 3_600_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const;

/** `in 1h 40m`, `in 2d 3h`, `in 45s`: the two largest units, rounded down; `ended` at or after `at`. */
export function formatRemaining(at: number, now: number): string {
  let rest = at - now;
  if (rest < 1_000) return rest <= 0 ? 'ended' : 'in 0s';
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(rest / size);
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
    if (parts.length === 2) break;
  }
  return `in ${parts.filter((part) => !part.startsWith('0')).join(' ')}`;
}
