import type { Alert, RuntimeLimit } from '../alerts/alert.ts';
import type { AlertFact } from './alert-facts.ts';
import { formatDuration } from './format-text.ts';

/**
 * What a stalled alert says about its limit. A fixed `maxRuntime` reads as it always has; a limit `maxRuntime: auto`
 * learned, or its `autoFallback`, says how it was found, so a person can judge whether the run is really stuck.
 */

/** How many successful runs `auto` needs before it learns, for an alert queued before detection said so itself. */
const AUTO_MIN_SAMPLES = 10;

/** `Attempt 7 of Orders has been running for 27m, longer than its learned limit of 12m (usually 4m–6m, p95 7m).` */
export function stalledSentence(alert: Alert, subject: string): string {
  const state = alert.attempt?.state === 'pending' ? 'pending' : 'running';
  const ranFor = formatDuration(alert.attempt?.durationMs ?? null);
  const limitMs = alert.maxRuntimeMs ?? alert.runtime?.limitMs;
  if (limitMs === undefined) return `${subject} has been ${state} for ${ranFor}.`;
  const limit = formatDuration(limitMs);
  // Durations are shown rounded down, so a stall caught just past its limit would read "5s, longer than 5s".
  const past = limit === ranFor;
  const runtime = alert.runtime;
  let beyond: string;
  if (runtime?.source === 'learned') {
    beyond = `${past ? 'past' : 'longer than'} its learned limit of ${limit} (${usualRuntime(runtime, 'sentence')})`;
  } else if (runtime?.source === 'fallback') {
    beyond = `${past ? 'past its limit of' : 'longer than'} ${limit} (autoFallback: ${fewRuns(runtime.samples ?? 0)} to learn from, ${runtime.samplesNeeded ?? AUTO_MIN_SAMPLES} needed)`;
  } else {
    beyond = `${past ? 'past' : 'longer than'} its max runtime of ${limit}`;
  }
  return `${subject} has been ${state} for ${ranFor}, ${beyond}.`;
}

/** `Max runtime`, and for a limit `auto` chose, what it was learned from. */
export function runtimeFacts(alert: Alert): AlertFact[] {
  const limitMs = alert.maxRuntimeMs ?? alert.runtime?.limitMs;
  if (limitMs === undefined) return [];
  const limit = formatDuration(limitMs);
  const runtime = alert.runtime;
  if (runtime?.source === 'learned') {
    return [
      { label: 'Max runtime', value: `${limit} (learned from ${runs(runtime.samples ?? 0)})` },
      { label: 'Usual runtime', value: usualRuntime(runtime, 'fact') },
    ];
  }
  if (runtime?.source === 'fallback') {
    return [
      { label: 'Max runtime', value: `${limit} (autoFallback)` },
      { label: 'Learned from', value: `${runs(runtime.samples ?? 0)} (${runtime.samplesNeeded ?? AUTO_MIN_SAMPLES} needed)` },
    ];
  }
  return [{ label: 'Max runtime', value: limit }];
}

/**
 * `usually 4m–6m, p95 7m` in the sentence; `4m–6m, p95 7m, median 5m` as the fact labelled `Usual runtime`. A part
 * the limit does not carry is left out.
 */
function usualRuntime(runtime: RuntimeLimit, as: 'sentence' | 'fact'): string {
  const parts: string[] = [];
  if (runtime.usualLowMs !== undefined && runtime.usualHighMs !== undefined) {
    const low = formatDuration(runtime.usualLowMs);
    const high = formatDuration(runtime.usualHighMs);
    parts.push(`${as === 'sentence' ? 'usually ' : ''}${low === high ? low : `${low}–${high}`}`);
  }
  if (runtime.p95Ms !== undefined) parts.push(`p95 ${formatDuration(runtime.p95Ms)}`);
  if (runtime.medianMs !== undefined && as === 'fact') parts.push(`median ${formatDuration(runtime.medianMs)}`);
  return parts.length > 0 ? parts.join(', ') : `from ${runs(runtime.samples ?? 0)}`;
}

function fewRuns(samples: number): string {
  return samples === 0 ? 'no successful runs' : `only ${runs(samples)}`;
}

function runs(samples: number): string {
  return `${samples} successful run${samples === 1 ? '' : 's'}`;
}
