import { describe, expect, it } from 'vitest';
import { MINUTE, TEST_NOW, useSimulatedPortable } from './simulated-portable.ts';

const FLOW = 100;

describe('paging through run attempts', () => {
  const portable = useSimulatedPortable();

  /** `count` attempts one minute apart, the newest a minute before TEST_NOW. Returns their createdAt, newest first. */
  function seed(count: number): number[] {
    portable.simulator.addFlow({ id: FLOW });
    const times: number[] = [];
    for (let minutes = count; minutes >= 1; minutes -= 1) {
      portable.simulator.addAttempt(FLOW, { state: 'succeeded', createdAt: TEST_NOW - minutes * MINUTE });
      times.unshift(TEST_NOW - minutes * MINUTE);
    }
    return times;
  }

  it('stops paging newest-first once a page reaches back past `since`', async () => {
    portable.simulator.setQuirks({ ignoreStartTime: true });
    const times = seed(500);
    const since = times[149] as number;

    const result = await portable.client().listRunAttempts(FLOW, { since, pageSize: 100 });

    // Page 1 is all newer than `since`; page 2 crosses it; pages 3-5 are never asked for.
    expect(result.requests).toBe(2);
    expect(portable.simulator.requestCount({ path: `/v2/flows/${FLOW}/run` })).toBe(2);
    expect(result.attempts.map((attempt) => attempt.createdAt)).toEqual(times.slice(0, 150));
  });

  it('filters on the client when the server ignores startTime', async () => {
    portable.simulator.setQuirks({ ignoreStartTime: true });
    const times = seed(250);
    const since = times[99] as number;

    const result = await portable.client().listRunAttempts(FLOW, { since, sort: 'asc', pageSize: 100 });

    // Oldest first cannot stop early: it reads everything, but returns only what was asked for.
    expect(result.requests).toBe(3);
    expect(result.attempts.map((attempt) => attempt.createdAt)).toEqual(times.slice(0, 100).reverse());
    expect(result.attempts.every((attempt) => attempt.createdAt >= since)).toBe(true);
  });

  it('needs fewer requests when the server honours startTime', async () => {
    const times = seed(500);

    const result = await portable.client().listRunAttempts(FLOW, { since: times[149] as number, pageSize: 100 });

    expect(result.attempts).toHaveLength(150);
    expect(result.requests).toBe(2);
  });

  it('returns each attempt once when a new attempt shifts the pages mid-listing', async () => {
    seed(150);
    let added = false;
    const client = portable.client({
      onRequest: () => {
        // A run starts between page 1 and page 2: offset 100 now repeats the oldest item of page 1.
        if (!added) portable.simulator.addAttempt(FLOW, { createdAt: TEST_NOW });
        added = true;
      },
    });

    const result = await client.listRunAttempts(FLOW, { pageSize: 100 });

    const ids = result.attempts.map((attempt) => attempt.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(150);
  });

  it('stops when the server ignores limit and offset, instead of paging forever', async () => {
    portable.simulator.setQuirks({ ignorePaging: true });
    seed(250);

    const result = await portable.client().listRunAttempts(FLOW, { pageSize: 100 });

    expect(result.requests).toBe(2);
    expect(result.attempts).toHaveLength(250);
    expect(result.anomalies).toEqual([{ kind: 'paging', message: expect.stringContaining('Portable may be ignoring limit/offset') as string }]);
  });

  it('stops at the page cap and says that older attempts were not read', async () => {
    seed(500);

    const result = await portable.client({ maxPages: 2 }).listRunAttempts(FLOW, { pageSize: 100 });

    expect(result.requests).toBe(2);
    expect(result.attempts).toHaveLength(200);
    expect(result.anomalies).toEqual([{ kind: 'paging', message: 'stopped after 2 pages of 100; older attempts were not read' }]);
  });

  it('clamps a page size above Portable’s maximum of 1,000', async () => {
    seed(3);
    await portable.client().listRunAttempts(FLOW, { pageSize: 5000 });
    expect(portable.simulator.requestLog()[0]?.url).toContain('limit=1000');
  });

  it.each([
    ['not a number', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('asks for the default 100 per page when the page size is %s', async (_name, pageSize) => {
    seed(3);
    await portable.client().listRunAttempts(FLOW, { pageSize });
    expect(portable.simulator.requestLog()[0]?.url).toContain('limit=100&');
  });

  it('refuses a `since` that is not a moment, without spending a request', async () => {
    seed(3);
    await expect(portable.client().listRunAttempts(FLOW, { since: Number.NaN })).rejects.toThrow(
      new TypeError('listRunAttempts: since must be epoch milliseconds, got NaN'),
    );
    expect(portable.simulator.requestCount()).toBe(0);
  });

  it('reads a page of exactly the limit and then an empty page', async () => {
    seed(100);
    const result = await portable.client().listRunAttempts(FLOW, { pageSize: 100 });
    expect(result.attempts).toHaveLength(100);
    expect(result.requests).toBe(2);
  });
});
