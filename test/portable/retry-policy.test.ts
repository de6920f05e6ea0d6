import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfterMs, realSleep } from '../../src/portable/retry-policy.ts';

const NOW = Date.UTC(2026, 9, 21, 7, 28, 0);

describe('parseRetryAfterMs', () => {
  it.each([
    ['delta-seconds', '120', 120_000],
    ['zero', '0', 0],
    ['fractional seconds', '1.5', 1500],
    ['two decimals', '1.25', 1250],
    ['padded', ' 7 ', 7000],
    ['an HTTP-date ahead', 'Wed, 21 Oct 2026 07:28:30 GMT', 30_000],
    ['an HTTP-date already past', 'Wed, 21 Oct 2026 07:00:00 GMT', 0],
    ['the first of repeated headers', ['3', '9'], 3000],
  ])('reads %s', (_name, header, expected) => {
    expect(parseRetryAfterMs(header, NOW)).toBe(expected);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['negative', '-5'],
    ['nonsense', 'soon'],
    ['seconds with a unit', '10s'],
    ['blank', '   '],
    ['a date without its day name', '21 Oct 2026 07:28:30 GMT'],
    ['a date with a one-letter day', 'W, 21 Oct 2026 07:28:30 GMT'],
  ])('ignores a header that is %s', (_name, header) => {
    expect(parseRetryAfterMs(header, NOW)).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 500, maxDelayMs: 30_000 };

  it.each([
    [1, 500],
    [2, 1000],
    [3, 2000],
    [7, 30_000],
    [20, 30_000],
  ])('retry %i waits at most %i ms (full jitter, capped)', (retry, ceiling) => {
    expect(backoffDelayMs(retry, policy, () => 0.999_999)).toBe(ceiling - 1);
    expect(backoffDelayMs(retry, policy, () => 0)).toBe(0);
  });
});

describe('realSleep', () => {
  it('rejects as soon as the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const started = performance.now();
    await expect(realSleep(10_000, controller.signal)).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
