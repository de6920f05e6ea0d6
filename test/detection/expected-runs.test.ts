import { describe, expect, it } from 'vitest';
import {
  PORTABLE_FREQUENCIES,
  SLOT_COUNT_CAP,
  cronProblem,
  defaultMissedAfter,
  describeSchedule,
  expectedRun,
  findMissedRuns,
  resolveSchedule,
  timezoneProblem,
  type MissedRunsInput,
  type MissedSlots,
} from '../../src/detection/expected-runs.ts';
import type { PortableSchedule, Schedule, ScheduleSetting } from '../../src/detection/schedule.ts';

const SECOND = 1000;
const MIN = 60 * SECOND;
const HOUR = 60 * MIN;
const at = (iso: string) => Date.parse(iso);

describe('PORTABLE_FREQUENCIES', () => {
  it("maps each of Portable's frequencies to its period, and manual to none", () => {
    expect(PORTABLE_FREQUENCIES).toEqual({
      manual: null,
      '15m': 15 * MIN,
      '30m': 30 * MIN,
      '1h': HOUR,
      '6h': 6 * HOUR,
      '12h': 12 * HOUR,
      '24h': 24 * HOUR,
    });
  });
});

describe('resolveSchedule', () => {
  const cases: Array<{
    name: string;
    setting?: ScheduleSetting;
    portable?: PortableSchedule;
    timezone?: string;
    expected: Schedule | undefined;
  }> = [
    { name: 'schedule: none expects nothing, whatever Portable says', setting: { kind: 'none' }, portable: { frequency: '1h' }, expected: undefined },
    {
      name: "the flow's own every wins over Portable's cron",
      setting: { kind: 'every', everyMs: 30 * MIN },
      portable: { cron: '0 6 * * *' },
      expected: { kind: 'every', everyMs: 30 * MIN, source: 'config' },
    },
    {
      name: "the flow's own cron wins over Portable's frequency, in the configured time zone",
      setting: { kind: 'cron', expression: '0 6 * * *' },
      portable: { frequency: '1h' },
      timezone: 'Europe/Paris',
      expected: { kind: 'cron', expression: '0 6 * * *', timezone: 'Europe/Paris', source: 'config' },
    },
    { name: "the flow's own cron that does not parse expects nothing", setting: { kind: 'cron', expression: '0 25 * * *' }, portable: { frequency: '1h' }, expected: undefined },
    { name: 'an every of 0 expects nothing', setting: { kind: 'every', everyMs: 0 }, expected: undefined },
    {
      name: "Portable's cron overrides its frequency",
      portable: { frequency: '24h', cron: '0 6 * * 1-5' },
      expected: { kind: 'cron', expression: '0 6 * * 1-5', timezone: 'UTC', source: 'portable' },
    },
    {
      name: "Portable's 6-field cron is taken",
      portable: { cron: ' */5 * * * * * ' },
      expected: { kind: 'cron', expression: '*/5 * * * * *', timezone: 'UTC', source: 'portable' },
    },
    { name: "Portable's frequency alone", portable: { frequency: '1h' }, expected: { kind: 'every', everyMs: HOUR, frequency: '1h', source: 'portable' } },
    { name: 'a frequency in capitals', portable: { frequency: '1H' }, expected: { kind: 'every', everyMs: HOUR, frequency: '1h', source: 'portable' } },
    { name: 'a frequency with spaces', portable: { frequency: ' 24h ' }, expected: { kind: 'every', everyMs: 24 * HOUR, frequency: '24h', source: 'portable' } },
    { name: 'manual', portable: { frequency: 'manual' }, expected: undefined },
    { name: 'MANUAL', portable: { frequency: 'MANUAL' }, expected: undefined },
    { name: 'no schedule from Portable at all', expected: undefined },
    { name: 'an answer without frequency or cron', portable: {}, expected: undefined },
    { name: 'a frequency Portable never documented', portable: { frequency: '2h' }, expected: undefined },
    { name: "a frequency named like an object's property", portable: { frequency: 'constructor' }, expected: undefined },
    { name: "Portable's cron that does not parse expects nothing, not its frequency", portable: { frequency: '1h', cron: 'every day' }, expected: undefined },
    { name: 'a blank cron is no cron', portable: { frequency: '1h', cron: '  ' }, expected: { kind: 'every', everyMs: HOUR, frequency: '1h', source: 'portable' } },
    { name: "Portable's cron in an unknown time zone expects nothing", portable: { cron: '0 6 * * *' }, timezone: 'Mars/Base', expected: undefined },
  ];
  it.each(cases)('$name', ({ setting, portable, timezone, expected }) => {
    expect(resolveSchedule(setting, portable, timezone ?? 'UTC')).toEqual(expected);
  });
});

describe('defaultMissedAfter', () => {
  const cases: Array<{ period: string; periodMs: number; expected: number }> = [
    { period: '5s', periodMs: 5 * SECOND, expected: 2 * MIN },
    { period: '15m', periodMs: 15 * MIN, expected: 2 * MIN },
    { period: '20m', periodMs: 20 * MIN, expected: 2 * MIN },
    { period: '21m', periodMs: 21 * MIN, expected: 2.1 * MIN },
    { period: '30m', periodMs: 30 * MIN, expected: 3 * MIN },
    { period: '1h', periodMs: HOUR, expected: 6 * MIN },
    { period: '6h', periodMs: 6 * HOUR, expected: 36 * MIN },
    { period: '10h', periodMs: 10 * HOUR, expected: HOUR },
    { period: '24h', periodMs: 24 * HOUR, expected: HOUR },
  ];
  it.each(cases)('a period of $period waits $expected ms', ({ periodMs, expected }) => {
    expect(defaultMissedAfter(periodMs)).toBe(expected);
  });
});

interface MissedCase {
  name: string;
  schedule: Schedule;
  input: MissedRunsInput;
  expected: MissedSlots | undefined;
}

const hourly: Schedule = { kind: 'every', everyMs: HOUR, source: 'portable' };
const T = at('2026-11-29T10:30:00Z');

describe('findMissedRuns with an every schedule', () => {
  const cases: MissedCase[] = [
    { name: 'just before the expected time plus grace', schedule: hourly, input: { since: T, now: T + HOUR + 6 * MIN - 1 }, expected: undefined },
    {
      name: 'exactly at the expected time plus grace',
      schedule: hourly,
      input: { since: T, now: T + HOUR + 6 * MIN },
      expected: { expectedAt: T + HOUR, slots: 1, slotsCapped: false, graceMs: 6 * MIN },
    },
    {
      name: 'a slot counts once its own grace has passed',
      schedule: hourly,
      input: { since: T, now: T + 3 * HOUR + 6 * MIN - 1 },
      expected: { expectedAt: T + HOUR, slots: 2, slotsCapped: false, graceMs: 6 * MIN },
    },
    {
      name: 'three slots',
      schedule: hourly,
      input: { since: T, now: T + 3 * HOUR + 6 * MIN },
      expected: { expectedAt: T + HOUR, slots: 3, slotsCapped: false, graceMs: 6 * MIN },
    },
    {
      name: 'missedAfter replaces the default grace',
      schedule: hourly,
      input: { since: T, now: T + HOUR + 30 * SECOND, missedAfter: 30 * SECOND },
      expected: { expectedAt: T + HOUR, slots: 1, slotsCapped: false, graceMs: 30 * SECOND },
    },
    {
      name: 'a long gap is counted exactly, without a cap',
      schedule: { kind: 'every', everyMs: 15 * MIN, source: 'portable' },
      input: { since: T, now: T + 15 * MIN * 2000 + 2 * MIN },
      expected: { expectedAt: T + 15 * MIN, slots: 2000, slotsCapped: false, graceMs: 2 * MIN },
    },
  ];
  it.each(cases)('$name', ({ schedule, input, expected }) => {
    expect(findMissedRuns(schedule, input)).toEqual(expected);
  });
});

function cron(expression: string, timezone = 'UTC'): Schedule {
  return { kind: 'cron', expression, timezone, source: 'portable' };
}

describe('findMissedRuns with a cron', () => {
  const cases: MissedCase[] = [
    {
      name: 'an hourly cron waits 6 minutes past the slot',
      schedule: cron('0 * * * *'),
      input: { since: at('2026-11-29T10:30:00Z'), now: at('2026-11-29T11:06:00Z') - 1 },
      expected: undefined,
    },
    {
      name: 'an hourly cron is missed 6 minutes past the slot',
      schedule: cron('0 * * * *'),
      input: { since: at('2026-11-29T10:30:00Z'), now: at('2026-11-29T11:06:00Z') },
      expected: { expectedAt: at('2026-11-29T11:00:00Z'), slots: 1, slotsCapped: false, graceMs: 6 * MIN },
    },
    {
      name: 'a run on its slot covers that slot: the next is expected',
      schedule: cron('0 * * * *'),
      input: { since: at('2026-11-29T11:00:00Z'), now: at('2026-11-29T12:06:00Z') },
      expected: { expectedAt: at('2026-11-29T12:00:00Z'), slots: 1, slotsCapped: false, graceMs: 6 * MIN },
    },
    // early-run tolerance for an hourly cron: min(6m grace, 15m quarter period) = 6m
    {
      name: 'a run created exactly the tolerance early covers the coming slot',
      schedule: cron('0 * * * *'),
      input: { since: at('2026-11-29T10:54:00Z'), now: at('2026-11-29T12:06:00Z') - 1 },
      expected: undefined,
    },
    {
      name: 'after a run created early, the slot after is expected',
      schedule: cron('0 * * * *'),
      input: { since: at('2026-11-29T10:54:00Z'), now: at('2026-11-29T12:06:00Z') },
      expected: { expectedAt: at('2026-11-29T12:00:00Z'), slots: 1, slotsCapped: false, graceMs: 6 * MIN },
    },
    {
      name: 'a run created more than the tolerance early does not cover the coming slot',
      schedule: cron('0 * * * *'),
      input: { since: at('2026-11-29T10:54:00Z') - 1, now: at('2026-11-29T11:06:00Z') },
      expected: { expectedAt: at('2026-11-29T11:00:00Z'), slots: 1, slotsCapped: false, graceMs: 6 * MIN },
    },
    // * * * * * with missedAfter 30s: tolerance min(30s, 15s) = 15s
    {
      name: 'a quarter period bounds the tolerance when missedAfter is longer',
      schedule: cron('* * * * *'),
      input: { since: at('2026-11-29T12:00:45Z'), now: at('2026-11-29T12:02:30Z'), missedAfter: 30 * SECOND },
      expected: { expectedAt: at('2026-11-29T12:02:00Z'), slots: 1, slotsCapped: false, graceMs: 30 * SECOND },
    },
    {
      name: 'every minute with missedAfter 30s is missed 30s past the minute',
      schedule: cron('* * * * *'),
      input: { since: at('2026-11-29T12:00:45Z') - 1, now: at('2026-11-29T12:01:30Z'), missedAfter: 30 * SECOND },
      expected: { expectedAt: at('2026-11-29T12:01:00Z'), slots: 1, slotsCapped: false, graceMs: 30 * SECOND },
    },
    {
      name: 'every minute with missedAfter 30s is not missed 1 ms sooner',
      schedule: cron('* * * * *'),
      input: { since: at('2026-11-29T12:00:45Z') - 1, now: at('2026-11-29T12:01:30Z') - 1, missedAfter: 30 * SECOND },
      expected: undefined,
    },
    // a seconds field: every 5 s, grace 2 m, tolerance min(2m, 1.25s) = 1.25s
    {
      name: 'a 6-field cron runs on seconds, and a run 1.25 s early covers its slot',
      schedule: cron('*/5 * * * * *'),
      input: { since: at('2026-11-29T12:00:03.750Z'), now: at('2026-11-29T12:02:10Z') },
      expected: { expectedAt: at('2026-11-29T12:00:10Z'), slots: 1, slotsCapped: false, graceMs: 2 * MIN },
    },
    {
      name: 'a 6-field cron, a run a little more than 1.25 s early',
      schedule: cron('*/5 * * * * *'),
      input: { since: at('2026-11-29T12:00:03.749Z'), now: at('2026-11-29T12:02:05Z') },
      expected: { expectedAt: at('2026-11-29T12:00:05Z'), slots: 1, slotsCapped: false, graceMs: 2 * MIN },
    },
    {
      name: 'a 6-field cron counts every 5-second slot past its grace',
      schedule: cron('*/5 * * * * *'),
      input: { since: at('2026-11-29T12:00:03.749Z'), now: at('2026-11-29T12:03:05Z') },
      // 12:00:05 … 12:01:05
      expected: { expectedAt: at('2026-11-29T12:00:05Z'), slots: 13, slotsCapped: false, graceMs: 2 * MIN },
    },
    {
      name: 'the grace is that of the expected slot, not of the slot the early run covered',
      // 06:00 follows 07:00 of the day before (23 h: grace 1 h); 07:00 follows 06:00 (1 h: grace 6 m)
      schedule: cron('0 6,7 * * *'),
      input: { since: at('2026-11-29T05:59:00Z'), now: at('2026-11-29T07:06:00Z') },
      expected: { expectedAt: at('2026-11-29T07:00:00Z'), slots: 1, slotsCapped: false, graceMs: 6 * MIN },
    },
    {
      name: 'a daily cron waits at most an hour',
      schedule: cron('0 6 * * *'),
      input: { since: at('2026-11-28T06:05:00Z'), now: at('2026-11-29T07:00:00Z') - 1 },
      expected: undefined,
    },
    {
      name: 'a daily cron is missed an hour past its slot',
      schedule: cron('0 6 * * *'),
      input: { since: at('2026-11-28T06:05:00Z'), now: at('2026-11-29T07:00:00Z') },
      expected: { expectedAt: at('2026-11-29T06:00:00Z'), slots: 1, slotsCapped: false, graceMs: HOUR },
    },
    { name: 'a run after now (clocks disagree) misses nothing', schedule: cron('* * * * *'), input: { since: T + HOUR, now: T }, expected: undefined },
  ];
  it.each(cases)('$name', ({ schedule, input, expected }) => {
    expect(findMissedRuns(schedule, input)).toEqual(expected);
  });
});

describe('findMissedRuns in a time zone', () => {
  // Paris moves to summer time on Sunday 2026-03-29: 06:00 is 05:00 UTC on the Saturday, 04:00 UTC on the Sunday.
  const paris = cron('0 6 * * *', 'Europe/Paris');
  const since = at('2026-03-28T05:10:00Z');
  const cases: MissedCase[] = [
    { name: 'the Sunday slot is not missed before 05:00 UTC', schedule: paris, input: { since, now: at('2026-03-29T05:00:00Z') - 1 }, expected: undefined },
    {
      name: 'the Sunday slot is 06:00 summer time, missed at 05:00 UTC',
      schedule: paris,
      input: { since, now: at('2026-03-29T05:00:00Z') },
      expected: { expectedAt: at('2026-03-29T04:00:00Z'), slots: 1, slotsCapped: false, graceMs: HOUR },
    },
    {
      name: 'the same cron in UTC is not due yet',
      schedule: cron('0 6 * * *'),
      input: { since, now: at('2026-03-29T05:00:00Z') },
      expected: undefined,
    },
    {
      name: 'slots across the change are counted in local time',
      schedule: paris,
      input: { since, now: at('2026-03-31T05:00:00Z') },
      expected: { expectedAt: at('2026-03-29T04:00:00Z'), slots: 3, slotsCapped: false, graceMs: HOUR },
    },
    {
      name: 'back to winter time on Sunday 2026-10-25: 06:00 is 05:00 UTC again',
      schedule: paris,
      input: { since: at('2026-10-24T04:10:00Z'), now: at('2026-10-25T06:00:00Z') },
      expected: { expectedAt: at('2026-10-25T05:00:00Z'), slots: 1, slotsCapped: false, graceMs: HOUR },
    },
  ];
  it.each(cases)('$name', ({ schedule, input, expected }) => {
    expect(findMissedRuns(schedule, input)).toEqual(expected);
  });
});

describe('findMissedRuns counting slots', () => {
  // every second; a run half a second before 12:00:01 is beyond the 0.25 s tolerance, so 12:00:01 is expected
  const everySecond = cron('* * * * * *');
  const since = at('2026-11-29T12:00:00.500Z');
  const firstSlot = at('2026-11-29T12:00:01Z');
  const grace = 2 * MIN;
  const cases: Array<{ name: string; now: number; maxSlots?: number; slots: number; slotsCapped: boolean }> = [
    { name: 'one short of the cap', now: firstSlot + 998 * SECOND + grace, slots: SLOT_COUNT_CAP - 1, slotsCapped: false },
    { name: 'exactly the cap, with no slot beyond it, is not capped', now: firstSlot + 999 * SECOND + grace, slots: SLOT_COUNT_CAP, slotsCapped: false },
    { name: 'one slot beyond the cap stops counting', now: firstSlot + 1000 * SECOND + grace, slots: SLOT_COUNT_CAP, slotsCapped: true },
    { name: 'days of seconds stop at the cap', now: firstSlot + 3 * 24 * HOUR, slots: SLOT_COUNT_CAP, slotsCapped: true },
    { name: 'a smaller cap for a cheap yes-or-no', now: firstSlot + 10 * SECOND + grace, maxSlots: 1, slots: 1, slotsCapped: true },
    { name: 'a smaller cap not reached', now: firstSlot + grace, maxSlots: 1, slots: 1, slotsCapped: false },
  ];
  it.each(cases)('$name', ({ now, maxSlots, slots, slotsCapped }) => {
    expect(findMissedRuns(everySecond, { since, now, ...(maxSlots === undefined ? {} : { maxSlots }) })).toEqual({
      expectedAt: firstSlot,
      slots,
      slotsCapped,
      graceMs: grace,
    });
  });
});

describe('expectedRun', () => {
  const cases: Array<{ name: string; schedule: Schedule; since: number; missedAfter?: number; expectedAt: number; graceMs: number }> = [
    { name: 'every 1h', schedule: hourly, since: T, expectedAt: T + HOUR, graceMs: 6 * MIN },
    { name: 'every 1h with missedAfter', schedule: hourly, since: T, missedAfter: 0, expectedAt: T + HOUR, graceMs: 0 },
    { name: 'an hourly cron', schedule: cron('0 * * * *'), since: at('2026-11-29T10:30:00Z'), expectedAt: at('2026-11-29T11:00:00Z'), graceMs: 6 * MIN },
    { name: 'an hourly cron after an early run', schedule: cron('0 * * * *'), since: at('2026-11-29T10:54:00Z'), expectedAt: at('2026-11-29T12:00:00Z'), graceMs: 6 * MIN },
    { name: 'two slots an hour apart each day', schedule: cron('0 6,7 * * *'), since: at('2026-11-29T05:59:00Z'), expectedAt: at('2026-11-29T07:00:00Z'), graceMs: 6 * MIN },
    { name: 'a daily cron in Paris on the day summer time starts', schedule: cron('0 6 * * *', 'Europe/Paris'), since: at('2026-03-28T05:10:00Z'), expectedAt: at('2026-03-29T04:00:00Z'), graceMs: HOUR },
    { name: 'every 5 seconds', schedule: cron('*/5 * * * * *'), since: at('2026-11-29T12:00:03.750Z'), expectedAt: at('2026-11-29T12:00:10Z'), graceMs: 2 * MIN },
  ];
  it.each(cases)('$name: the slot and grace findMissedRuns starts alerting at, and not a millisecond before', ({ schedule, since, missedAfter, expectedAt, graceMs }) => {
    const grace = missedAfter === undefined ? {} : { missedAfter };
    expect(expectedRun(schedule, { since, ...grace })).toEqual({ expectedAt, graceMs });
    expect(findMissedRuns(schedule, { since, now: expectedAt + graceMs - 1, ...grace })).toBeUndefined();
    expect(findMissedRuns(schedule, { since, now: expectedAt + graceMs, ...grace })).toEqual({ expectedAt, graceMs, slots: 1, slotsCapped: false });
  });
});

describe('findMissedRuns stays pure', () => {
  it('gives the same answer every time for a schedule with H, which cron-parser would otherwise seed at random', () => {
    const hashed: Schedule = { kind: 'cron', expression: 'H * * * *', timezone: 'UTC', source: 'config' };
    const input = { since: at('2026-11-29T10:00:00.500Z'), now: at('2026-11-29T13:00:00Z') };
    const answers = Array.from({ length: 5 }, () => findMissedRuns(hashed, input));
    expect(answers[0]).toBeDefined();
    expect(new Set(answers.map((answer) => answer?.expectedAt)).size).toBe(1);
  });
});

describe('describeSchedule', () => {
  const cases: Array<{ schedule: Schedule; text: string }> = [
    { schedule: cron('0 6 * * *'), text: 'cron "0 6 * * *" (UTC), from Portable' },
    { schedule: { kind: 'cron', expression: '*/5 * * * * *', timezone: 'Europe/Paris', source: 'config' }, text: 'cron "*/5 * * * * *" (Europe/Paris), from the config' },
    { schedule: { kind: 'every', everyMs: HOUR, source: 'config' }, text: 'every 1h, from the config' },
    { schedule: { kind: 'every', everyMs: 15 * MIN, source: 'portable' }, text: 'every 15m, from Portable' },
    { schedule: { kind: 'every', everyMs: 24 * HOUR, frequency: '24h', source: 'portable' }, text: 'frequency 24h, from Portable' },
  ];
  it.each(cases)('$text', ({ schedule, text }) => {
    expect(describeSchedule(schedule)).toBe(text);
  });
});

describe('cronProblem', () => {
  const valid = ['0 6 * * *', '*/5 * * * * *', '@daily', '0 6 * * MON-THU', '0 0 29 2 *', '  0 6 * * 1-5  '];
  it.each(valid)('"%s" parses', (expression) => {
    expect(cronProblem(expression, 'UTC')).toBeUndefined();
  });

  const invalid: Array<{ expression: string; timezone?: string; problem: string }> = [
    { expression: '', problem: 'the cron expression is empty' },
    { expression: '0 6 * *', problem: 'cron "0 6 * *" has 4 fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)' },
    { expression: 'every day', problem: 'cron "every day" has 2 fields' },
    { expression: '* * * * * * *', problem: 'has 7 fields' },
    { expression: '61 6 * * *', problem: 'cron "61 6 * * *" is invalid: ' },
    { expression: '0 0 31 2 *', problem: 'cron "0 0 31 2 *" is invalid: ' },
    { expression: '0 6 * * blursday', problem: 'cron "0 6 * * blursday" is invalid: ' },
    { expression: 'H 6 * * *', problem: 'uses H (hashed values)' },
    { expression: '0 6 * * *', timezone: 'Mars/Base', problem: 'unknown time zone "Mars/Base": use an IANA name such as UTC or Europe/Paris' },
  ];
  it.each(invalid)('"$expression" ($timezone): $problem', ({ expression, timezone, problem }) => {
    expect(cronProblem(expression, timezone ?? 'UTC')).toContain(problem);
  });
});

describe('timezoneProblem', () => {
  it.each(['UTC', 'Europe/Paris', 'America/New_York'])('%s is known', (timezone) => {
    expect(timezoneProblem(timezone)).toBeUndefined();
  });
  it.each(['Mars/Base', '', 'Europe/Pariss'])('"%s" is not', (timezone) => {
    expect(timezoneProblem(timezone)).toBe(`unknown time zone "${timezone}": use an IANA name such as UTC or Europe/Paris`);
  });
});
