import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../src/maintenance/maintenance-types.ts';
import { PAUSED_LOOKBACK_MS, WINDOW_STEPS_PER_DAY, activeWindow, pausedMs, windowsForFlow } from '../../src/maintenance/maintenance-windows.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

function window(name: string, cron: string, durationMs: number, timezone = 'UTC', flows?: MaintenanceWindow['flows']): MaintenanceWindow {
  return { name, cron, durationMs, timezone, ...(flows === undefined ? {} : { flows }) };
}

/** The warehouse's weekly upgrade: Sundays 02:00–04:00, Paris time. */
const sundayUpgrade = window('warehouse upgrade', '0 2 * * 0', 2 * HOUR, 'Europe/Paris');
/** Every night 23:00–02:00 UTC: each occurrence crosses midnight. */
const nightly = window('nightly', '0 23 * * *', 3 * HOUR);

describe('windowsForFlow', () => {
  const everyFlow = window('all', '0 2 * * 0', HOUR);
  const byId = window('by id', '0 2 * * 0', HOUR, 'UTC', { ids: [7, 9] });
  const byLabels = window('by labels', '0 2 * * 0', HOUR, 'UTC', { labels: { team: 'growth', tier: 'critical' } });
  const either = window('either', '0 2 * * 0', HOUR, 'UTC', { ids: [3], labels: { team: 'growth' } });
  const anyLabels = window('empty labels', '0 2 * * 0', HOUR, 'UTC', { labels: {} });
  const noneNamed = window('names none', '0 2 * * 0', HOUR, 'UTC', {});
  const windows = [everyFlow, byId, byLabels, either, anyLabels, noneNamed];
  it.each<{ name: string; flow: { id: number; labels: Record<string, string> }; names: string[] }>([
    { name: 'a flow without labels or a listed id gets the windows for every flow', flow: { id: 1, labels: {} }, names: ['all', 'empty labels'] },
    { name: 'a listed id', flow: { id: 9, labels: {} }, names: ['all', 'by id', 'empty labels'] },
    {
      name: 'every label equal, extra labels allowed',
      flow: { id: 1, labels: { team: 'growth', tier: 'critical', region: 'eu' } },
      names: ['all', 'by labels', 'either', 'empty labels'],
    },
    { name: 'one label of two is not enough', flow: { id: 1, labels: { team: 'growth', tier: 'low' } }, names: ['all', 'either', 'empty labels'] },
    { name: 'ids or labels: the id alone matches', flow: { id: 3, labels: { team: 'data' } }, names: ['all', 'either', 'empty labels'] },
    { name: 'a label value differing only in case does not match', flow: { id: 1, labels: { team: 'Growth', tier: 'critical' } }, names: ['all', 'empty labels'] },
  ])('$name', ({ flow, names }) => {
    expect(windowsForFlow(windows, flow).map((found) => found.name)).toEqual(names);
  });
});

describe('activeWindow', () => {
  it.each([
    { name: 'a summer Sunday at 02:00 Paris (00:00 UTC), the first instant', windows: [sundayUpgrade], at: '2026-06-07T00:00:00Z', started: '2026-06-07T00:00:00Z' },
    { name: 'the last millisecond of it', windows: [sundayUpgrade], at: '2026-06-07T01:59:59.999Z', started: '2026-06-07T00:00:00Z' },
    { name: 'its end is outside', windows: [sundayUpgrade], at: '2026-06-07T02:00:00Z', started: undefined },
    { name: 'just before it opens', windows: [sundayUpgrade], at: '2026-06-06T23:59:59.999Z', started: undefined },
    { name: 'a winter Sunday at 02:00 Paris is 01:00 UTC', windows: [sundayUpgrade], at: '2026-01-04T02:30:00Z', started: '2026-01-04T01:00:00Z' },
    { name: 'a winter Sunday at 00:30 UTC is before it', windows: [sundayUpgrade], at: '2026-01-04T00:30:00Z', started: undefined },
    // 29 March 2026: Paris skips 02:00–03:00; the start moves to 03:00 CEST (01:00 UTC) and lasts 2 real hours.
    { name: 'spring forward: the skipped 02:00 opens at 03:00 CEST', windows: [sundayUpgrade], at: '2026-03-29T02:59:00Z', started: '2026-03-29T01:00:00Z' },
    { name: 'spring forward: not before 03:00 CEST', windows: [sundayUpgrade], at: '2026-03-29T00:59:00Z', started: undefined },
    // 25 October 2026: 02:00 happens twice (00:00 and 01:00 UTC); the window opens at the first, once.
    { name: 'fall back: opens at the first 02:00', windows: [sundayUpgrade], at: '2026-10-25T00:00:00Z', started: '2026-10-25T00:00:00Z' },
    { name: 'fall back: the repeated 02:00 opens nothing again', windows: [sundayUpgrade], at: '2026-10-25T02:00:00Z', started: undefined },
    { name: 'crossing midnight: after midnight it is the evening start', windows: [nightly], at: '2026-06-10T01:30:00Z', started: '2026-06-09T23:00:00Z' },
    { name: 'crossing midnight: closed at 02:00', windows: [nightly], at: '2026-06-10T02:00:00Z', started: undefined },
    { name: 'no windows', windows: [], at: '2026-06-10T01:30:00Z', started: undefined },
  ])('$name', ({ windows, at: when, started }) => {
    const found = activeWindow(windows, at(when));
    expect(found === undefined ? undefined : new Date(found.startedAt).toISOString()).toBe(started === undefined ? undefined : new Date(started).toISOString());
    if (found !== undefined) expect(found.endsAt).toBe(found.startedAt + found.window.durationMs);
  });

  it('of several windows open at once answers the one that ends last, and says when each occurrence ends', () => {
    const short = window('short', '0 0 * * *', HOUR);
    const long = window('long', '30 23 * * *', 4 * HOUR);
    const found = activeWindow([short, long], at('2026-06-10T00:30:00Z'));
    expect(found).toEqual({ window: long, startedAt: at('2026-06-09T23:30:00Z'), endsAt: at('2026-06-10T03:30:00Z') });
    expect(activeWindow([long, short], at('2026-06-10T00:30:00Z'))?.window).toBe(long);
  });

  it('of two windows ending at the same time answers the one listed first', () => {
    const early = window('early', '0 1 * * *', 3 * HOUR);
    const late = window('late', '0 2 * * *', 2 * HOUR);
    const when = at('2026-06-10T02:30:00Z');
    expect(activeWindow([early, late], when)).toEqual({ window: early, startedAt: at('2026-06-10T01:00:00Z'), endsAt: at('2026-06-10T04:00:00Z') });
    expect(activeWindow([late, early], when)).toEqual({ window: late, startedAt: at('2026-06-10T02:00:00Z'), endsAt: at('2026-06-10T04:00:00Z') });
  });

  it('back to back: the occurrence ending exactly now is over, the one starting now is open', () => {
    const hourly = window('hourly', '0 * * * *', HOUR);
    expect(activeWindow([hourly], at('2026-06-10T05:00:00Z'))).toMatchObject({ startedAt: at('2026-06-10T05:00:00Z'), endsAt: at('2026-06-10T06:00:00Z') });
    // A window ending exactly now does not hide one that is still open.
    const ending = window('ending', '0 4 * * *', HOUR);
    const open = window('open', '30 4 * * *', HOUR);
    expect(activeWindow([open, ending], at('2026-06-10T05:00:00Z'))?.window).toBe(open);
    expect(activeWindow([ending], at('2026-06-10T05:00:00Z'))).toBeUndefined();
  });

  it('walks at most WINDOW_STEPS_PER_DAY starts: a window starting every minute for 10 hours answers the last start within them', () => {
    const everyMinute = window('every minute', '* * * * *', 10 * HOUR);
    // Starts are walked from 10 hours back (the first at 08:01); the 500th is 499 minutes later.
    const found = activeWindow([everyMinute], at('2026-06-01T18:00:30Z'));
    expect(found).toMatchObject({ startedAt: at('2026-06-01T08:01:00Z') + (WINDOW_STEPS_PER_DAY - 1) * MIN });
    expect(found?.startedAt).toBe(at('2026-06-01T16:20:00Z'));
    // Still open at that instant: the cap shortens nothing a user is told about being held.
    expect(found?.endsAt).toBe(at('2026-06-02T02:20:00Z'));
  });

  it('a window whose occurrences overlap answers the latest start', () => {
    const found = activeWindow([window('overlapping', '0 * * * *', 90 * MIN)], at('2026-06-10T05:45:00Z'));
    expect(found).toMatchObject({ startedAt: at('2026-06-10T05:00:00Z'), endsAt: at('2026-06-10T06:30:00Z') });
  });
});

describe('pausedMs', () => {
  const hourlyQuarter = window('hourly', '0 * * * *', 15 * MIN, 'Europe/Paris');
  const cases: Array<{ name: string; windows: MaintenanceWindow[]; from: string; to: string; paused: number }> = [
    { name: 'no windows', windows: [], from: '2026-06-07T00:00:00Z', to: '2026-06-08T00:00:00Z', paused: 0 },
    { name: 'an empty range', windows: [sundayUpgrade], from: '2026-06-07T01:00:00Z', to: '2026-06-07T01:00:00Z', paused: 0 },
    { name: 'a reversed range', windows: [sundayUpgrade], from: '2026-06-07T02:00:00Z', to: '2026-06-07T01:00:00Z', paused: 0 },
    { name: 'a range inside the window', windows: [sundayUpgrade], from: '2026-06-07T00:30:00Z', to: '2026-06-07T01:00:00Z', paused: 30 * MIN },
    { name: 'a run crossing the whole window', windows: [sundayUpgrade], from: '2026-06-06T23:30:00Z', to: '2026-06-07T03:00:00Z', paused: 2 * HOUR },
    { name: 'a run begun inside it', windows: [sundayUpgrade], from: '2026-06-07T01:30:00Z', to: '2026-06-07T05:00:00Z', paused: 30 * MIN },
    { name: 'two Sundays in one range', windows: [sundayUpgrade], from: '2026-06-06T00:00:00Z', to: '2026-06-14T12:00:00Z', paused: 4 * HOUR },
    { name: 'spring forward: 2 real hours from 03:00 CEST', windows: [sundayUpgrade], from: '2026-03-28T00:00:00Z', to: '2026-03-30T00:00:00Z', paused: 2 * HOUR },
    { name: 'fall back: counted once', windows: [sundayUpgrade], from: '2026-10-24T00:00:00Z', to: '2026-10-26T00:00:00Z', paused: 2 * HOUR },
    { name: 'crossing UTC midnight', windows: [nightly], from: '2026-06-09T22:00:00Z', to: '2026-06-10T12:00:00Z', paused: 3 * HOUR },
    { name: 'crossing midnight, the range ending after it', windows: [nightly], from: '2026-06-09T23:30:00Z', to: '2026-06-10T00:30:00Z', paused: HOUR },
    { name: 'a range that begins after midnight inside the evening window', windows: [nightly], from: '2026-06-10T01:00:00Z', to: '2026-06-10T03:00:00Z', paused: HOUR },
    {
      name: 'two overlapping windows count their overlap once',
      windows: [window('a', '0 1 * * *', 2 * HOUR), window('b', '0 2 * * *', 2 * HOUR)],
      from: '2026-06-10T00:00:00Z',
      to: '2026-06-10T12:00:00Z',
      paused: 3 * HOUR,
    },
    { name: 'a window whose occurrences overlap each other covers all', windows: [window('overlapping', '0 * * * *', 90 * MIN)], from: '2026-06-10T00:00:00Z', to: '2026-06-10T06:00:00Z', paused: 6 * HOUR },
    { name: 'the same window twice counts once', windows: [sundayUpgrade, sundayUpgrade], from: '2026-06-06T00:00:00Z', to: '2026-06-08T00:00:00Z', paused: 2 * HOUR },
    // Paris's hourly starts across the spring change: every UTC hour still has one, so 7 × 24 quarters.
    // Windows listed out of time order: the union does not depend on the order of the config.
    {
      name: 'two overlapping windows listed later one first',
      windows: [window('b', '0 2 * * *', 2 * HOUR), window('a', '0 1 * * *', 2 * HOUR)],
      from: '2026-06-10T00:00:00Z',
      to: '2026-06-10T12:00:00Z',
      paused: 3 * HOUR,
    },
    {
      name: 'three windows out of order, one bridging the other two',
      windows: [window('late', '0 5 * * *', HOUR), window('early', '0 1 * * *', HOUR), window('bridge', '30 1 * * *', 4 * HOUR)],
      from: '2026-06-10T00:00:00Z',
      to: '2026-06-10T12:00:00Z',
      paused: 5 * HOUR,
    },
    {
      name: 'a window crossing midnight listed after a morning one',
      windows: [window('morning', '0 1 * * *', 2 * HOUR), nightly],
      from: '2026-06-09T12:00:00Z',
      to: '2026-06-10T12:00:00Z',
      paused: 4 * HOUR,
    },
    { name: 'a range ending exactly when the window opens', windows: [sundayUpgrade], from: '2026-06-06T12:00:00Z', to: '2026-06-07T00:00:00Z', paused: 0 },
    { name: 'a range starting exactly when the window closes', windows: [sundayUpgrade], from: '2026-06-07T02:00:00Z', to: '2026-06-07T12:00:00Z', paused: 0 },
    { name: 'a range exactly the window', windows: [sundayUpgrade], from: '2026-06-07T00:00:00Z', to: '2026-06-07T02:00:00Z', paused: 2 * HOUR },
    { name: 'a millisecond of the window at each end', windows: [sundayUpgrade], from: '2026-06-07T01:59:59.999Z', to: '2026-06-07T02:00:00.001Z', paused: 1 },
    { name: 'a range crossing midnight inside a window crossing it', windows: [nightly], from: '2026-06-09T23:59:00Z', to: '2026-06-10T00:01:00Z', paused: 2 * MIN },
    { name: 'a range ending exactly at midnight', windows: [nightly], from: '2026-06-09T22:00:00Z', to: '2026-06-10T00:00:00Z', paused: HOUR },
    { name: 'a range starting exactly at midnight', windows: [nightly], from: '2026-06-10T00:00:00Z', to: '2026-06-10T23:30:00Z', paused: 2 * HOUR + 30 * MIN },
    { name: 'a reversed range across midnight', windows: [nightly], from: '2026-06-10T01:00:00Z', to: '2026-06-09T23:00:00Z', paused: 0 },
    {
      name: 'back-to-back occurrences leave no gap and count once',
      windows: [window('hourly', '0 * * * *', HOUR)],
      from: '2026-06-10T02:30:00Z',
      to: '2026-06-10T05:15:00Z',
      paused: 2 * HOUR + 45 * MIN,
    },
    {
      name: 'overlapping occurrences, the range cut inside them',
      windows: [window('overlapping', '0 */2 * * *', 3 * HOUR)],
      from: '2026-06-10T01:30:00Z',
      to: '2026-06-10T04:30:00Z',
      paused: 3 * HOUR,
    },
    {
      name: 'occurrences with gaps between them',
      windows: [window('every third hour', '0 */3 * * *', HOUR)],
      from: '2026-06-10T00:30:00Z',
      to: '2026-06-10T07:00:00Z',
      paused: 30 * MIN + 2 * HOUR,
    },
    { name: 'hourly over 7 days across a change of clocks', windows: [hourlyQuarter], from: '2026-03-26T00:00:00Z', to: '2026-04-02T00:00:00Z', paused: 7 * 24 * 15 * MIN },
    // An hourly cron starts every real hour, the repeated hour of the autumn change too (a daily one starts once).
    { name: 'hourly over 7 days across the autumn change', windows: [hourlyQuarter], from: '2026-10-22T00:00:00Z', to: '2026-10-29T00:00:00Z', paused: 7 * 24 * 15 * MIN },
  ];
  it.each(cases)('$name', ({ windows, from, to, paused }) => {
    expect(pausedMs(windows, at(from), at(to))).toBe(paused);
  });

  it('looks back at most PAUSED_LOOKBACK_MS from the end of the range', () => {
    const always = window('always', '0 0 * * *', DAY);
    expect(pausedMs([always], at('2026-06-01T00:00:00Z'), at('2026-06-21T00:00:00Z'))).toBe(PAUSED_LOOKBACK_MS);
    expect(pausedMs([always], at('2026-06-01T00:00:00Z'), at('2026-06-04T00:00:00Z'))).toBe(3 * DAY);
  });

  it('a window starting every minute stops at the step cap: the rest of each day counts as outside it', () => {
    const everyMinute = window('every minute', '* * * * *', 2 * HOUR);
    // Starts walk from 2 hours before each day (the first at 22:01); the cap's last start plus 2h is where cover ends.
    const coveredPerDay = (WINDOW_STEPS_PER_DAY - 120) * MIN + 2 * HOUR;
    expect(pausedMs([everyMinute], at('2026-06-01T00:00:00Z'), at('2026-06-08T00:00:00Z'))).toBe(7 * coveredPerDay);
    // activeWindow walks only the starts within one duration.
    expect(activeWindow([everyMinute], at('2026-06-01T18:00:30Z'))).toMatchObject({ startedAt: at('2026-06-01T18:00:00Z') });
  });

  it('answers right after its memory is emptied: past 20,000 remembered days the old ones are computed again', () => {
    const weekEnd = at('2026-06-09T00:00:00Z');
    // Each of the 8 days: 00:00–02:00 from the evening before, and 23:00–24:00.
    const nightlyWeek = (): number => pausedMs([nightly], weekEnd - 8 * DAY, weekEnd);
    const upgradeFortnight = (): number => pausedMs([sundayUpgrade], at('2026-06-06T00:00:00Z'), at('2026-06-14T12:00:00Z'));
    expect(nightlyWeek()).toBe(8 * 3 * HOUR);
    expect(upgradeFortnight()).toBe(4 * HOUR);
    // 2,600 windows of different lengths over 8 days: 20,800 days to remember, more than the memory holds.
    const many = Array.from({ length: 2_600 }, (_, index) => window(`w${index}`, '0 3 * * *', HOUR + index));
    expect(pausedMs(many, weekEnd - 8 * DAY, weekEnd)).toBe(8 * (HOUR + 2_599));
    expect(nightlyWeek()).toBe(8 * 3 * HOUR);
    expect(upgradeFortnight()).toBe(4 * HOUR);
    expect(pausedMs(many.slice(-2), weekEnd - 2 * DAY, weekEnd)).toBe(2 * (HOUR + 2_599));
    expect(pausedMs(many.slice(0, 1), weekEnd - 2 * DAY, weekEnd)).toBe(2 * HOUR);
  });

  it('answers the same from memory as the first time: a week asked again and again, a little later each time', () => {
    // Timing belongs in the bench; here only that remembered days give the answers computed ones did.
    const fresh = window('fresh', '7 * * * *', 10 * MIN, 'Europe/Paris');
    const once = pausedMs([fresh], at('2026-05-01T00:00:00Z'), at('2026-05-08T00:00:00Z'));
    expect(once).toBe(7 * 24 * 10 * MIN);
    for (const shift of [1, 60_000, 7 * MIN, 17 * MIN, 3_600_000]) {
      const expected = 7 * 24 * 10 * MIN;
      expect(pausedMs([fresh], at('2026-05-01T00:00:00Z') + shift, at('2026-05-08T00:00:00Z') + shift)).toBe(expected);
    }
  });
});
