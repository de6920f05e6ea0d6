/**
 * When a simulated flow is due to run: every so often, or on a cron. Cron is read by cron-parser, the same library
 * the worker's expectation uses, so the simulator and the worker cannot disagree on what an expression means.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export type RunSchedule =
  /** A run at `anchor + k × everyMs` for every whole k (anchor default 0, the epoch: hourly runs fall on the hour). */
  | { everyMs: number; anchor?: number }
  /** A run at each time the cron expression names, in `timezone` (default UTC, as the worker assumes). */
  | { cron: string; timezone?: string };

/** Portable's `frequency` values, as durations; `manual` is none. */
export const FREQUENCY_MS: Readonly<Record<string, number>> = {
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '6h': 6 * HOUR,
  '12h': 12 * HOUR,
  '24h': 24 * HOUR,
};

/** The schedule a flow's own `cron` (which wins) or `frequency` states; undefined for `manual` or none. */
export function scheduleOfFlow(flow: { frequency?: string; cron?: string }): RunSchedule | undefined {
  if (flow.cron !== undefined) return { cron: flow.cron };
  const everyMs = flow.frequency === undefined ? undefined : FREQUENCY_MS[flow.frequency];
  return everyMs === undefined ? undefined : { everyMs };
}

/** A time the flow is due; index 0 is the first at or after the script's start. */
export interface Slot {
  index: number;
  /** Epoch ms. */
  at: number;
}

/** Walks a schedule's slots in order, one at a time, so a long history never needs them all in memory. */
export interface SlotCursor {
  /** The next slot not yet passed. */
  readonly current: Slot;
  advance(): void;
}

export function createSlotCursor(schedule: RunSchedule, from: number): SlotCursor {
  return 'cron' in schedule ? cronCursor(schedule, from) : everyCursor(schedule, from);
}

/** The slots in [from, until), for tests and for planning without a store. */
export function slotsBetween(schedule: RunSchedule, from: number, until: number): Slot[] {
  const cursor = createSlotCursor(schedule, from);
  const slots: Slot[] = [];
  for (let slot = cursor.current; slot.at < until; slot = cursor.current) {
    slots.push(slot);
    cursor.advance();
  }
  return slots;
}

function everyCursor(schedule: { everyMs: number; anchor?: number }, from: number): SlotCursor {
  const { everyMs, anchor = 0 } = schedule;
  if (!Number.isFinite(everyMs) || everyMs <= 0) throw new Error(`simulator: everyMs must be a positive number of milliseconds, got ${everyMs}`);
  const first = anchor + Math.ceil((from - anchor) / everyMs) * everyMs;
  let index = 0;
  return {
    get current() {
      return { index, at: first + index * everyMs };
    },
    advance() {
      index += 1;
    },
  };
}

function cronCursor(schedule: { cron: string; timezone?: string }, from: number): SlotCursor {
  let expression: CronExpression;
  try {
    // next() answers strictly after currentDate: start a millisecond early so a slot at `from` counts.
    expression = CronExpressionParser.parse(schedule.cron, { currentDate: new Date(from - 1), tz: schedule.timezone ?? 'UTC' });
  } catch (error) {
    throw new Error(`simulator: cron ${JSON.stringify(schedule.cron)} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let index = 0;
  let at = expression.next().getTime();
  return {
    get current() {
      return { index, at };
    },
    advance() {
      index += 1;
      at = expression.next().getTime();
    },
  };
}
