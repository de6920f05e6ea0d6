import { DAY, DURATION_EXAMPLES, formatDuration, parseDuration } from '../config/duration.ts';

/**
 * When a silence ends, from `--for 2h` or `--until 2026-12-02T18:00Z`. A silence is a promise to look again, so
 * it has a limit: one longer than 90 days is more likely a flow to stop watching (or a maintenance window) than a
 * pause, and a forgotten one would hide that flow's failures for good.
 */
export const MAX_SILENCE_MS = 90 * DAY;

/** Either when the silence ends, or what is wrong with what was written. */
export type SilenceEnd = { endsAt: number } | { problem: string };

/*
 * ISO 8601 as people type it: `T` or a space between date and time, seconds and milliseconds optional, and an
 * offset (`Z`, `+01:00`, `+0100`) or none, which means UTC. UTC rather than the local zone because the CLI runs
 * on servers and in containers whose zone the operator rarely knows, and a silence that ends an hour early or late
 * is the kind of surprise nobody notices until it matters.
 */
const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

const TIME_EXAMPLES = 'e.g. 2026-12-02T18:00:00Z, 2026-12-02T18:00+01:00, or 2026-12-02 18:00 for UTC';

/** Epoch ms of an ISO 8601 time (no offset: UTC); undefined when `text` is not one or names no real time. */
export function parseTime(text: string): number | undefined {
  const match = TIME.exec(text.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '0', zone = 'Z'] = match.map((part) => part as string | undefined);
  const parts = [year, month, day, hour, minute].map(Number) as [number, number, number, number, number];
  const [y, mo, d, h, mi] = parts;
  const s = Number(second);
  const local = Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.padEnd(3, '0')));
  // Date.UTC rolls 2026-02-30 over into March: a time that does not come back unchanged was not a real one.
  const check = new Date(local);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || check.getUTCHours() !== h || check.getUTCMinutes() !== mi || check.getUTCSeconds() !== s) {
    return undefined;
  }
  const offset = offsetMs(zone);
  return offset === undefined ? undefined : local - offset;
}

/** `Z` → 0, `+01:00` / `+0100` → one hour; undefined for an offset no zone has (beyond ±14:00, minutes ≥ 60). */
function offsetMs(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  const size = (hours * 60 + minutes) * 60_000;
  // Real offsets run from -12:00 to +14:00; anything beyond ±14:00 is a typo.
  if (minutes >= 60 || size > 14 * 3_600_000) return undefined;
  return zone.startsWith('-') ? -size : size;
}

/** `--until TIME`: a time in the future, at most MAX_SILENCE_MS ahead of `now`. */
export function parseUntil(text: string, now: number): SilenceEnd {
  const at = parseTime(text);
  if (at === undefined) return { problem: `--until "${text}" is not a time (${TIME_EXAMPLES})` };
  if (at <= now) return { problem: `--until ${isoText(at)} has already passed (it is ${isoText(now)} now)` };
  if (at - now > MAX_SILENCE_MS) return { problem: `--until ${isoText(at)} is more than ${formatDuration(MAX_SILENCE_MS)} ahead; ${TOO_LONG}` };
  return { endsAt: at };
}

/** `--for DURATION`: longer than 0, at most MAX_SILENCE_MS. */
export function parseFor(text: string, now: number): SilenceEnd {
  const length = parseDuration(text);
  if (length === undefined) return { problem: `--for "${text}" is not a duration (${DURATION_EXAMPLES})` };
  if (length === 0) return { problem: '--for must be longer than 0' };
  if (length > MAX_SILENCE_MS) return { problem: `--for ${text} is longer than ${formatDuration(MAX_SILENCE_MS)}; ${TOO_LONG}` };
  return { endsAt: now + length };
}

const TOO_LONG = 'silence it again when it ends, or remove the flow from the config if it should not be watched';

/** ISO 8601 in UTC to the second, for people: `2026-12-02T18:00:00Z` (JSON for scripts keeps the milliseconds). */
export function isoText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
