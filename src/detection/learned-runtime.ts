import type { RuntimeLimit } from '../alerts/alert.ts';
import { medianAbsoluteDeviation, percentileOfSorted, sortedCopy } from './robust-stats.ts';

/**
 * `maxRuntime: auto`: how long a flow may run before it counts as stalled, learned from its own successful runs.
 * The limit is the largest of three guards, each covering what the others miss: 1.5 × p95 follows flows whose
 * runs spread widely, median + 4 × MAD follows flows so steady that their p95 sits close to the median, and the
 * 10-minute floor keeps a flow of 30-second runs from being called stalled after a minute of queueing.
 */

/** Fewer successful durations than this teach nothing reliable: `autoFallback` applies until there are enough. */
export const LEARN_MIN_SAMPLES = 10;
/** Only the most recent successful runs are learned from, so a flow that grew is judged by its present. */
export const LEARN_MAX_SAMPLES = 30;
export const LEARNED_FLOOR_MS = 10 * 60_000;

export function runtimeLimit(setting: number | 'auto', durations: readonly number[], fallbackMs: number): RuntimeLimit {
  if (setting !== 'auto') return { limitMs: setting, source: 'fixed' };
  const recent = durations.slice(-LEARN_MAX_SAMPLES);
  if (recent.length < LEARN_MIN_SAMPLES) return { limitMs: fallbackMs, source: 'fallback', samples: recent.length, samplesNeeded: LEARN_MIN_SAMPLES };
  // Sorted once: a check asks this of every unfinished run it reads.
  const sorted = sortedCopy(recent);
  const middle = percentileOfSorted(sorted, 50);
  const p95 = percentileOfSorted(sorted, 95);
  const learned = Math.max(1.5 * p95, middle + 4 * medianAbsoluteDeviation(sorted), LEARNED_FLOOR_MS);
  return {
    // whole seconds: the limit is shown to people and compared with durations Portable reports in seconds
    limitMs: Math.ceil(learned / 1000) * 1000,
    source: 'learned',
    samples: recent.length,
    usualLowMs: Math.round(percentileOfSorted(sorted, 10)),
    usualHighMs: Math.round(percentileOfSorted(sorted, 90)),
    p95Ms: Math.round(p95),
    medianMs: Math.round(middle),
  };
}

/**
 * How the limit was found, for people: `usually 4m–6m, p95 7m (learned from 30 successful runs)`,
 * `autoFallback 2h: only 4 successful runs to learn from (10 needed)`, `maxRuntime 2h`.
 */
export function describeRuntimeLimit(limit: RuntimeLimit): string {
  switch (limit.source) {
    case 'fixed':
      return `maxRuntime ${formatDurationShort(limit.limitMs)}`;
    case 'fallback':
      return `autoFallback ${formatDurationShort(limit.limitMs)}: ${fewRuns(limit.samples ?? 0)} to learn from (${LEARN_MIN_SAMPLES} needed)`;
    case 'learned': {
      const low = formatDurationShort(limit.usualLowMs ?? Number.NaN);
      const high = formatDurationShort(limit.usualHighMs ?? Number.NaN);
      const range = low === high ? `usually ${low}` : `usually ${low}–${high}`;
      return `${range}, p95 ${formatDurationShort(limit.p95Ms ?? Number.NaN)} (learned from ${limit.samples ?? 0} successful runs)`;
    }
  }
}

function fewRuns(samples: number): string {
  if (samples === 0) return 'no successful runs';
  return `only ${samples} successful run${samples === 1 ? '' : 's'}`;
}

const UNITS = [
  { suffix: 'd', ms: 86_400_000 },
  { suffix: 'h', ms: 3_600_000 },
  { suffix: 'm', ms: 60_000 },
  { suffix: 's', ms: 1_000 },
] as const;

/**
 * `45s`, `4m`, `1h 5m`, `2d 3h`: the two largest units, cut (not rounded) to whole seconds like the notifiers'
 * durations, which detection may not import. Below a second, milliseconds: seconds-field crons have such gaps.
 */
export function formatDurationShort(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  const wholeMs = Math.floor(ms);
  if (wholeMs < 1000) return wholeMs === 0 ? '0s' : `${wholeMs}ms`;
  let rest = Math.floor(ms / 1000) * 1000;
  const parts: Array<{ amount: number; suffix: string }> = [];
  for (const unit of UNITS) {
    const amount = Math.floor(rest / unit.ms);
    rest -= amount * unit.ms;
    if (amount > 0 || parts.length > 0) parts.push({ amount, suffix: unit.suffix });
    if (parts.length === 2) break;
  }
  // "2h 0m" reads as more precise than it is
  return parts
    .filter((part, index) => index === 0 || part.amount > 0)
    .map((part) => `${part.amount}${part.suffix}`)
    .join(' ');
}
