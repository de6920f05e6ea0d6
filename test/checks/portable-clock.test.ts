import { describe, expect, it } from 'vitest';
import { createPortableClock, SKEW_TOLERANCE_MS, WORKER_CLOCK } from '../../src/checks/portable-clock.ts';
import { captureLog } from '../support/capture-log.ts';

const AT = Date.UTC(2026, 11, 1, 9, 0, 0);

/** A Date header whose whole second puts Portable `skew` ms ahead of the worker (the clock adds the half second back). */
const header = (receivedAt: number, skew: number) => ({ serverDate: receivedAt + skew - 500, receivedAt });

function clockWithLog() {
  const { log, lines } = captureLog();
  const reported: number[] = [];
  const clock = createPortableClock({ log, onSkew: (seconds) => reported.push(seconds) });
  return { clock, lines, reported };
}

describe("Portable's clock", () => {
  it('is the worker clock until an answer says otherwise, and ignores answers without a usable Date', () => {
    const { clock, reported } = clockWithLog();
    expect(clock.skewMs()).toBe(0);
    expect(clock.toPortable(AT)).toBe(AT);
    clock.observe({ receivedAt: AT });
    clock.observe({ serverDate: Number.NaN, receivedAt: AT });
    clock.observe({ serverDate: Number.POSITIVE_INFINITY, receivedAt: AT });
    expect(clock.skewMs()).toBe(0);
    expect(reported).toEqual([]);
  });

  it.each([
    { skews: [60_000], median: 60_000 },
    { skews: [-60_000], median: -60_000 },
    { skews: [10_000, 90_000], median: 50_000 },
    { skews: [90_000, 10_000, 50_000], median: 50_000 },
    { skews: [1_000, 3_000, 2_000, 100_000], median: 2_500 },
    // Only the last five answers count: the first two are forgotten.
    { skews: [900_000, 900_000, 40_000, 41_000, 42_000, 43_000, 44_000], median: 42_000 },
  ])('takes the median of the last answers: $skews → $median ms', ({ skews, median }) => {
    const { clock, reported } = clockWithLog();
    for (const skew of skews) clock.observe(header(AT, skew));
    expect(clock.skewMs()).toBe(median);
    expect(reported.at(-1)).toBe(median / 1000);
    expect(reported).toHaveLength(skews.length);
  });

  it.each([
    { skew: SKEW_TOLERANCE_MS, portable: AT },
    { skew: -SKEW_TOLERANCE_MS, portable: AT },
    { skew: SKEW_TOLERANCE_MS + 1, portable: AT + SKEW_TOLERANCE_MS + 1 },
    { skew: -SKEW_TOLERANCE_MS - 1, portable: AT - SKEW_TOLERANCE_MS - 1 },
    { skew: 10 * 60_000, portable: AT + 10 * 60_000 },
  ])('corrects only beyond the tolerance: skew $skew ms → toPortable moves $portable', ({ skew, portable }) => {
    const { clock } = clockWithLog();
    clock.observe(header(AT, skew));
    expect(clock.toPortable(AT)).toBe(portable);
  });

  it('warns once when the clocks part, says once when they agree again, and not on every answer', () => {
    const edge = clockWithLog();
    edge.clock.observe(header(AT, SKEW_TOLERANCE_MS));
    edge.clock.observe(header(AT, -SKEW_TOLERANCE_MS));
    edge.clock.observe(header(AT, -SKEW_TOLERANCE_MS));
    expect(edge.lines).toEqual([]); // exactly at the tolerance is still agreement

    const { clock, lines } = clockWithLog();
    clock.observe(header(AT, 5_000));
    expect(lines).toEqual([]);
    for (const skew of [-120_000, -120_000, -120_000, -120_000, -120_000]) clock.observe(header(AT, skew));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        // The first answer beyond the tolerance already warns: [5 s, -120 s] has a median of -57.5 s.
        skewSeconds: -57,
        msg: "Portable's clock and this worker's differ; checks measure on Portable's clock (fix the worker's time sync)",
      }),
    ]);
    for (let index = 0; index < 5; index += 1) clock.observe(header(AT, 1_000));
    expect(lines.slice(1)).toEqual([expect.objectContaining({ level: 30, skewSeconds: 1, msg: "Portable's clock and this worker's agree again" })]);
  });

  it('works without anyone listening for the skew', () => {
    const { log } = captureLog();
    const clock = createPortableClock({ log });
    clock.observe(header(AT, 45_000));
    expect(clock.toPortable(AT)).toBe(AT + 45_000);
  });

  it('the worker clock, for one-off commands, never moves', () => {
    WORKER_CLOCK.observe(header(AT, 600_000));
    expect(WORKER_CLOCK.skewMs()).toBe(0);
    expect(WORKER_CLOCK.toPortable(AT)).toBe(AT);
  });
});
