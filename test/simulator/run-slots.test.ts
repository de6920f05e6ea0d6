import { describe, expect, it } from 'vitest';
import { createSlotCursor, scheduleOfFlow, slotsBetween } from '../../src/simulator/run-slots.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T = Date.UTC(2026, 2, 3, 10, 0);
const iso = (times: number[]) => times.map((time) => new Date(time).toISOString());

describe('run slots', () => {
  describe('the schedule a flow states', () => {
    it.each([
      [{ frequency: '15m' }, { everyMs: 15 * MINUTE }],
      [{ frequency: '30m' }, { everyMs: 30 * MINUTE }],
      [{ frequency: '1h' }, { everyMs: HOUR }],
      [{ frequency: '6h' }, { everyMs: 6 * HOUR }],
      [{ frequency: '12h' }, { everyMs: 12 * HOUR }],
      [{ frequency: '24h' }, { everyMs: 24 * HOUR }],
      [{ frequency: 'manual' }, undefined],
      [{ frequency: 'fortnightly' }, undefined],
      [{}, undefined],
      [{ cron: '0 6 * * *' }, { cron: '0 6 * * *' }],
      [{ frequency: '1h', cron: '0 6 * * *' }, { cron: '0 6 * * *' }],
    ])('%j → %j', (flow, schedule) => {
      expect(scheduleOfFlow(flow)).toEqual(schedule);
    });
  });

  describe('every so often', () => {
    it('falls on whole multiples since the anchor (the epoch by default), from the first at or after the start', () => {
      expect(iso(slotsBetween({ everyMs: HOUR }, T - 1, T + 3 * HOUR).map((slot) => slot.at))).toEqual([
        '2026-03-03T10:00:00.000Z',
        '2026-03-03T11:00:00.000Z',
        '2026-03-03T12:00:00.000Z',
      ]);
      expect(slotsBetween({ everyMs: HOUR, anchor: T + 90_000 }, T, T + 2 * HOUR).map((slot) => slot.at - T)).toEqual([90_000, HOUR + 90_000]);
    });

    it('numbers slots from 0 at the start', () => {
      expect(slotsBetween({ everyMs: MINUTE }, T + 1, T + 4 * MINUTE)).toEqual([
        { index: 0, at: T + MINUTE },
        { index: 1, at: T + 2 * MINUTE },
        { index: 2, at: T + 3 * MINUTE },
      ]);
    });

    it('refuses a period that is not a positive duration', () => {
      expect(() => createSlotCursor({ everyMs: 0 }, T)).toThrow(/everyMs must be a positive/);
      expect(() => createSlotCursor({ everyMs: Number.NaN }, T)).toThrow(/everyMs must be a positive/);
    });
  });

  describe('cron, read by cron-parser', () => {
    it('names the cron times, a slot at the start included, in UTC by default', () => {
      expect(iso(slotsBetween({ cron: '0 6 * * *' }, Date.UTC(2026, 2, 3, 6), Date.UTC(2026, 2, 6)).map((slot) => slot.at))).toEqual([
        '2026-03-03T06:00:00.000Z',
        '2026-03-04T06:00:00.000Z',
        '2026-03-05T06:00:00.000Z',
      ]);
    });

    it('understands steps, lists and weekdays', () => {
      expect(slotsBetween({ cron: '*/15 * * * *' }, T, T + HOUR).map((slot) => (slot.at - T) / MINUTE)).toEqual([0, 15, 30, 45]);
      // 2026-03-06 is a Friday: the next weekday 9:00 after it is Monday the 9th.
      expect(iso(slotsBetween({ cron: '0 9 * * 1-5' }, Date.UTC(2026, 2, 6, 10), Date.UTC(2026, 2, 10)).map((slot) => slot.at))).toEqual(['2026-03-09T09:00:00.000Z']);
    });

    it('reads the time in the zone given', () => {
      const [slot] = slotsBetween({ cron: '0 6 * * *', timezone: 'America/New_York' }, Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 6));
      expect(iso([slot!.at])).toEqual(['2026-01-05T11:00:00.000Z']);
    });

    it.each(['every tuesday', '0 0 30 2 *', '61 * * * *'])('says which expression it cannot read: %s', (cron) => {
      expect(() => createSlotCursor({ cron }, T)).toThrow(`cron ${JSON.stringify(cron)} cannot be read`);
    });
  });
});
