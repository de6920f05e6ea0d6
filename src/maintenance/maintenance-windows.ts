import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { LabelSet } from '../routing/route-types.ts';
import type { MaintenanceWindow } from './maintenance-types.ts';

/**
 * When maintenance windows are open. Pure: delivery asks whether one holds an alert now (activeWindow), detection
 * how much of a run's or a gap's time fell inside them (pausedMs), so that a run crossing a warehouse upgrade is
 * not called stalled for the two hours it was meant to wait. Cron arithmetic is cron-parser's alone: where clocks
 * change, a start in the skipped hour moves to the hour the clocks jump to, and a start at a time of the repeated
 * hour happens once, the first time (an hourly cron still starts every real hour). An occurrence lasts `durationMs`
 * of real time, whatever the clocks do.
 */

export interface ActiveWindow {
  window: MaintenanceWindow;
  /** When this occurrence opened, and when it closes (startedAt + durationMs). */
  startedAt: number;
  endsAt: number;
}

const DAY = 86_400_000;

/**
 * Cron steps one window may take for one day's occurrences (a step costs 20–110 µs): an hourly window takes about
 * 24 a day, plus those that begin the day before and reach into it; only a cron firing more often than every 3
 * minutes reaches the cap. At the cap the rest of that day counts as outside the window: its clocks run, so a
 * stall or a missed run there is still detected, and delivery still holds the alert while activeWindow says the
 * window is open.
 */
export const WINDOW_STEPS_PER_DAY = 500;

/**
 * pausedMs looks this far back from the end of its range; time before that counts as outside every window. A run
 * is followed 7 days at most, and a missed run is noticed within its grace, so nothing real asks for more.
 */
export const PAUSED_LOOKBACK_MS = 8 * DAY;

/**
 * The windows that apply to a flow: those without `flows` apply to every flow; otherwise the flow's id is in
 * `ids`, or it has every label of `labels` (an empty `labels` asks for nothing, so it matches every flow).
 */
export function windowsForFlow(windows: readonly MaintenanceWindow[], flow: { id: number; labels: LabelSet }): MaintenanceWindow[] {
  return windows.filter((window) => {
    const flows = window.flows;
    if (flows === undefined) return true;
    if (flows.ids?.includes(flow.id) === true) return true;
    const labels = flows.labels;
    return labels !== undefined && Object.entries(labels).every(([key, value]) => flow.labels[key] === value);
  });
}

/**
 * The window open at `at`, if any: one whose latest start at or before `at` is less than its duration ago. Each
 * occurrence of a window lasts as long as any other, so the latest start is the one that ends last; of several
 * windows open at once, the one that ends last is answered, since that is how long an alert stays held.
 */
export function activeWindow(windows: readonly MaintenanceWindow[], at: number): ActiveWindow | undefined {
  let found: ActiveWindow | undefined;
  for (const window of windows) {
    const startedAt = latestStart(window, at);
    if (startedAt === undefined) continue;
    const endsAt = startedAt + window.durationMs;
    if (found === undefined || endsAt > found.endsAt) found = { window, startedAt, endsAt };
  }
  return found;
}

/**
 * The latest start in (at - durationMs, at], walking forward: cron-parser's prev() disagrees with next() where
 * clocks change (it skips the spring day's moved start and sees the autumn day's repeated hour twice), and
 * pausedMs walks forward, so both must. Usually one or two steps; a window whose starts come closer together
 * than the cap allows in its duration answers the latest start within the cap.
 */
function latestStart(window: MaintenanceWindow, at: number): number | undefined {
  const starts = occurrences(window, at - window.durationMs);
  let latest: number | undefined;
  for (let step = 0; step < WINDOW_STEPS_PER_DAY; step += 1) {
    const startedAt = starts.next().toDate().getTime();
    if (startedAt > at) break;
    latest = startedAt;
  }
  return latest;
}

/**
 * How much of [from, to) lies inside any of the windows: the union of their occurrences, so overlapping ones (two
 * windows, or one whose occurrences overlap each other) count once. Answered day by day (UTC) from memory: a check
 * asks this of the same days again and again while a run stays open, and each day costs cron steps only once.
 */
export function pausedMs(windows: readonly MaintenanceWindow[], from: number, to: number): number {
  const start = Math.max(from, to - PAUSED_LOOKBACK_MS);
  if (windows.length === 0 || to <= start) return 0;
  let total = 0;
  for (let day = Math.floor(start / DAY); day * DAY < to; day += 1) {
    const covered = mergeIntervals(windows.flatMap((window) => dayIntervals(window, day)));
    for (const [open, close] of covered) total += Math.max(0, Math.min(close, to) - Math.max(open, start));
  }
  return total;
}

type Interval = readonly [open: number, close: number];

/** The window's occurrences that overlap one UTC day, merged and cut to that day. */
function dayIntervals(window: MaintenanceWindow, day: number): readonly Interval[] {
  const key = `${window.timezone}\u0000${window.cron}\u0000${window.durationMs}\u0000${day}`;
  const known = dayMemory.get(key);
  if (known !== undefined) return known;
  const dayStart = day * DAY;
  const dayEnd = dayStart + DAY;
  // An occurrence that began up to a duration before the day still reaches into it.
  const starts = occurrences(window, dayStart - window.durationMs);
  const merged: Array<[number, number]> = [];
  for (let step = 0; step < WINDOW_STEPS_PER_DAY; step += 1) {
    const startedAt = starts.next().toDate().getTime();
    if (startedAt >= dayEnd) break;
    const open = Math.max(startedAt, dayStart);
    const close = Math.min(startedAt + window.durationMs, dayEnd);
    // Starts come in order, so an occurrence either extends the last interval or begins a new one.
    const last = merged.at(-1);
    if (last !== undefined && open <= last[1]) last[1] = Math.max(last[1], close);
    else if (close > open) merged.push([open, close]);
    // Once the day is covered to its end, later starts add nothing.
    if (merged.at(-1)?.[1] === dayEnd) break;
  }
  remember(key, merged);
  return merged;
}

function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [open, close] of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && open <= last[1]) last[1] = Math.max(last[1], close);
    else merged.push([open, close]);
  }
  return merged;
}

/** Starts strictly after `at` (only ever walked forward); a fixed hash seed keeps the answer pure. */
function occurrences(window: MaintenanceWindow, at: number): CronExpression {
  return CronExpressionParser.parse(window.cron, { currentDate: at, tz: window.timezone, hashSeed: window.cron });
}

/** Bounded like expected-runs' memory: emptied when full, which costs each window one day's steps again. */
const MEMORY_LIMIT = 20_000;
const dayMemory = new Map<string, readonly Interval[]>();

function remember(key: string, intervals: readonly Interval[]): void {
  if (dayMemory.size >= MEMORY_LIMIT) dayMemory.clear();
  dayMemory.set(key, intervals);
}
