import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { formatDurationShort } from './learned-runtime.ts';
import type { PortableSchedule, Schedule, ScheduleSetting } from './schedule.ts';

/**
 * When a flow should have run and did not. Cron arithmetic is cron-parser's alone; this file only decides which
 * slot a run covers and how long to wait past it.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export type PortableFrequency = 'manual' | '15m' | '30m' | '1h' | '6h' | '12h' | '24h';

/** Portable's `frequency` values, as the period between runs; `manual` flows expect nothing (null). */
export const PORTABLE_FREQUENCIES: Readonly<Record<PortableFrequency, number | null>> = {
  manual: null,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '6h': 6 * HOUR,
  '12h': 12 * HOUR,
  '24h': 24 * HOUR,
};

/** Counting missed cron slots stops here: a gap that long reads the same to a person, and each slot costs a step. */
export const SLOT_COUNT_CAP = 1000;

const SMALLEST_DEFAULT_GRACE = 2 * MINUTE;
const LARGEST_DEFAULT_GRACE = HOUR;

/** 10% of the period, at least 2 minutes (runs queue), at most 1 hour (a daily run late by 2.4 h is news). */
export function defaultMissedAfter(periodMs: number): number {
  return Math.min(LARGEST_DEFAULT_GRACE, Math.max(SMALLEST_DEFAULT_GRACE, Math.round(periodMs / 10)));
}

/**
 * The flow's own `schedule:` wins over Portable's; Portable's `cron` overrides its `frequency`. A Portable cron
 * that does not parse expects nothing rather than falling back to the frequency it overrides: guessing would
 * raise alerts about a schedule nobody set. A blank cron is taken as absent, as APIs send "" for "not set".
 */
export function resolveSchedule(
  setting: ScheduleSetting | undefined,
  portable: PortableSchedule | undefined,
  timezone: string,
): Schedule | undefined {
  if (setting !== undefined) {
    switch (setting.kind) {
      case 'none':
        return undefined;
      case 'every':
        return validPeriod(setting.everyMs) ? { kind: 'every', everyMs: setting.everyMs, source: 'config' } : undefined;
      case 'cron':
        return cronSchedule(setting.expression, timezone, 'config');
    }
  }
  const cron = portable?.cron?.trim() ?? '';
  if (cron !== '') return cronSchedule(cron, timezone, 'portable');
  const frequency = portable?.frequency?.trim().toLowerCase() ?? '';
  const everyMs = Object.hasOwn(PORTABLE_FREQUENCIES, frequency) ? PORTABLE_FREQUENCIES[frequency as PortableFrequency] : null;
  return everyMs === null ? undefined : { kind: 'every', everyMs, frequency, source: 'portable' };
}

function validPeriod(everyMs: number): boolean {
  return Number.isFinite(everyMs) && everyMs > 0;
}

function cronSchedule(expression: string, timezone: string, source: Schedule['source']): Schedule | undefined {
  const trimmed = expression.trim();
  return cronProblem(trimmed, timezone) === undefined ? { kind: 'cron', expression: trimmed, timezone, source } : undefined;
}

export interface ExpectedRun {
  /** The first expected run after `since` that `since` does not cover. */
  expectedAt: number;
  /** How long after each expected time a run may still be created. */
  graceMs: number;
}

export interface MissedSlots extends ExpectedRun {
  /** Expected runs missing by now, at least 1; for a cron, counting stops at the cap (`slotsCapped`). */
  slots: number;
  slotsCapped: boolean;
}

export interface MissedRunsInput {
  /** When the flow last ran (the later of the latest attempt's createdAt and completedAt), or when watching began. */
  since: number;
  now: number;
  /** The grace after each expected time; by default defaultMissedAfter of the period. */
  missedAfter?: number;
  /** Counting cron slots stops here (default SLOT_COUNT_CAP); 1 when only "missed or not" matters. */
  maxSlots?: number;
}

/**
 * The gap since the flow last ran, when an expected run is overdue; undefined when none is. Called for every flow
 * at every poll, so a flow that ran recently costs one cron step (cron-parser takes 0.1–0.3 ms a step, more in a
 * time zone with summer time); counting a long gap costs a step per slot, up to maxSlots.
 */
export function findMissedRuns(schedule: Schedule, input: MissedRunsInput): MissedSlots | undefined {
  if (schedule.kind === 'every') return missedEvery(schedule.everyMs, input);
  return missedCron(schedule.expression, schedule.timezone, input);
}

/**
 * The run expected after `since` and its grace: findMissedRuns answers undefined until expectedAt + graceMs, and
 * neither depends on `now`, so a caller may keep them until the flow runs again and skip the cron work meanwhile.
 */
export function expectedRun(schedule: Schedule, { since, missedAfter }: Pick<MissedRunsInput, 'since' | 'missedAfter'>): ExpectedRun {
  if (schedule.kind === 'every') return { expectedAt: since + schedule.everyMs, graceMs: missedAfter ?? defaultMissedAfter(schedule.everyMs) };
  const upcoming = slotsFrom(schedule.expression, schedule.timezone, since);
  return expectedCronRun(schedule.expression, schedule.timezone, since, upcoming, nextSlot(upcoming), missedAfter);
}

/** An `every` expectation is anchored on the latest run, so there is no slot for an early run to cover. */
function missedEvery(everyMs: number, { since, now, missedAfter }: MissedRunsInput): MissedSlots | undefined {
  const expectedAt = since + everyMs;
  const graceMs = missedAfter ?? defaultMissedAfter(everyMs);
  if (now < expectedAt + graceMs) return undefined;
  return { expectedAt, slots: 1 + Math.floor((now - graceMs - expectedAt) / everyMs), slotsCapped: false, graceMs };
}

function missedCron(expression: string, timezone: string, input: MissedRunsInput): MissedSlots | undefined {
  const { since, now, missedAfter, maxSlots = SLOT_COUNT_CAP } = input;
  // Every check of a healthy flow asks the same question until the flow runs again: answered from memory.
  const key = `${timezone}\u0000${expression}\u0000${since}\u0000${missedAfter ?? ''}`;
  const known = expectedRuns.get(key);
  if (known !== undefined && now < known.expectedAt + known.graceMs) return undefined;
  const upcoming = slotsFrom(expression, timezone, since);
  const first = nextSlot(upcoming);
  // Any grace is at least this, and the expected slot is never before `first`: most first looks end here, and
  // until then the bound is as good as the answer (remembered as one: the test above is the same).
  const earliest = { expectedAt: first, graceMs: missedAfter ?? SMALLEST_DEFAULT_GRACE };
  if (now < earliest.expectedAt + earliest.graceMs) {
    remember(expectedRuns, key, earliest);
    return undefined;
  }
  const { expectedAt, graceMs } = expectedCronRun(expression, timezone, since, upcoming, first, missedAfter);
  remember(expectedRuns, key, { expectedAt, graceMs });
  const lastCounted = now - graceMs;
  if (lastCounted < expectedAt) return undefined;

  let slots = 1;
  while (slots < maxSlots && nextSlot(upcoming) <= lastCounted) slots += 1;
  // The slot after the cap decides whether counting stopped early or simply ran out of slots.
  const slotsCapped = slots >= maxSlots && nextSlot(upcoming) <= lastCounted;
  return { expectedAt, slots, slotsCapped, graceMs };
}

/** `upcoming` has just yielded `first`, the first slot after `since`; it is left on the expected slot. */
function expectedCronRun(
  expression: string,
  timezone: string,
  since: number,
  upcoming: CronExpression,
  first: number,
  missedAfter: number | undefined,
): ExpectedRun {
  const firstPeriod = first - previousSlot(expression, timezone, first);
  // Portable may create a run a little before its slot (clock skew, queueing ahead): that run covers the slot.
  const coveredEarly = first - since <= Math.min(missedAfter ?? defaultMissedAfter(firstPeriod), firstPeriod / 4);
  const expectedAt = coveredEarly ? nextSlot(upcoming) : first;
  const period = coveredEarly ? expectedAt - first : firstPeriod;
  return { expectedAt, graceMs: missedAfter ?? defaultMissedAfter(period) };
}

/** An iterator over the slots strictly after `at`; a fixed hash seed keeps the function pure should H slip through. */
function slotsFrom(expression: string, timezone: string, at: number): CronExpression {
  return CronExpressionParser.parse(expression, { currentDate: at, tz: timezone, hashSeed: expression });
}

function nextSlot(slots: CronExpression): number {
  return slots.next().toDate().getTime();
}

/** The slot strictly before `at`, from a fresh iterator: a moved one is not turned around. */
function previousSlot(expression: string, timezone: string, at: number): number {
  return slotsFrom(expression, timezone, at).prev().toDate().getTime();
}

/** For people: `cron "0 6 * * *" (UTC), from Portable`, `every 1h, from the config`. */
export function describeSchedule(schedule: Schedule): string {
  const origin = schedule.source === 'portable' ? 'Portable' : 'the config';
  if (schedule.kind === 'every' && schedule.frequency !== undefined) return `frequency ${schedule.frequency}, from ${origin}`;
  if (schedule.kind === 'every') return `every ${formatDurationShort(schedule.everyMs)}, from ${origin}`;
  return `cron "${schedule.expression}" (${schedule.timezone}), from ${origin}`;
}

/**
 * What is wrong with a cron expression in a time zone, for config validation; undefined when it parses.
 * cron-parser quietly reads too few fields (even none) as "every minute", so the field count is checked first.
 */
export function cronProblem(expression: string, timezone: string): string | undefined {
  const key = `${timezone}\u0000${expression}`;
  if (cronProblems.has(key)) return cronProblems.get(key);
  const problem = findCronProblem(expression, timezone);
  remember(cronProblems, key, problem);
  return problem;
}

/**
 * Memory of pure answers that a check would otherwise recompute on every poll (cron parsing is most of the cost of
 * a schedule): bounded, and simply emptied when full, which costs one recomputation per flow.
 */
const MEMORY_LIMIT = 20_000;
const cronProblems = new Map<string, string | undefined>();
const expectedRuns = new Map<string, ExpectedRun>();

function remember<Value>(memory: Map<string, Value>, key: string, value: Value): void {
  if (memory.size >= MEMORY_LIMIT) memory.clear();
  memory.set(key, value);
}

function findCronProblem(expression: string, timezone: string): string | undefined {
  const zone = timezoneProblem(timezone);
  if (zone !== undefined) return zone;
  const trimmed = expression.trim();
  if (trimmed === '') return 'the cron expression is empty';
  const fields = trimmed.split(/\s+/).length;
  if (!trimmed.startsWith('@') && fields !== 5 && fields !== 6) {
    return `cron "${trimmed}" has ${fields} field${fields === 1 ? '' : 's'}; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`;
  }
  // H picks a time from a seed Portable's scheduler (or whoever triggers the flow) chooses, so no slot can be known.
  if (/\bH\b/i.test(trimmed)) return `cron "${trimmed}" uses H (hashed values), whose times portable-watch cannot know; write the times out`;
  try {
    // one step too: some expressions only fail when a date is computed
    slotsFrom(trimmed, timezone, 0).next();
    return undefined;
  } catch (error) {
    return `cron "${trimmed}" is invalid: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What is wrong with a time zone name, or undefined for one Intl (and so cron-parser) knows. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return undefined;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return `unknown time zone "${timezone}": use an IANA name such as UTC or Europe/Paris`;
  }
}
