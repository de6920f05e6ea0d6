import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/status/flow-status.ts';
import { createStatusSnapshot } from '../../src/status/status-snapshot.ts';

/** A read that counts itself and answers when the test says. */
function reads() {
  let count = 0;
  const pending: Array<{ resolve: (report: StatusReport) => void; reject: (error: Error) => void }> = [];
  return {
    read: () =>
      new Promise<StatusReport>((resolve, reject) => {
        count += 1;
        pending.push({ resolve, reject });
      }),
    answer(now: number) {
      pending.shift()?.resolve({ now, account: null, flows: [], otherUnsentAlerts: [] });
    },
    fail() {
      pending.shift()?.reject(new Error('Redis does not answer'));
    },
    count: () => count,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the shared status snapshot', () => {
  it('reads once for every reader within maxAge, and again after it', async () => {
    let now = 1_000;
    const source = reads();
    const snapshot = createStatusSnapshot({ read: source.read, maxAgeMs: 2_000, staleMs: 15_000, now: () => now });
    const first = snapshot.read();
    const second = snapshot.read();
    source.answer(1);
    expect((await first).now).toBe(1);
    expect((await second).now).toBe(1);
    now += 1_999;
    expect((await snapshot.read()).now).toBe(1);
    expect(source.count()).toBe(1);
    now += 1;
    const third = snapshot.read();
    source.answer(2);
    expect((await third).now).toBe(2);
    expect(source.count()).toBe(2);
  });

  it('serves a page the last report at once, reads again once asked to after 2 s, and waits when it is too old', async () => {
    let now = 0;
    const source = reads();
    const snapshot = createStatusSnapshot({ read: source.read, maxAgeMs: 2_000, staleMs: 15_000, now: () => now });
    const first = snapshot.readQuick();
    source.answer(1);
    expect((await first).now).toBe(1);
    snapshot.refresh();
    expect(source.count()).toBe(1);
    now = 5_000;
    expect((await snapshot.readQuick()).now).toBe(1);
    expect(source.count()).toBe(1);
    snapshot.refresh();
    snapshot.refresh();
    expect(source.count()).toBe(2);
    source.answer(2);
    await settle();
    expect((await snapshot.readQuick()).now).toBe(2);
    // Too old to show: the reader waits for the new read.
    now = 30_000;
    let answered = false;
    const late = snapshot.readQuick().then((report) => {
      answered = true;
      return report;
    });
    await settle();
    expect(answered).toBe(false);
    source.answer(3);
    expect((await late).now).toBe(3);
  });

  it('remembers no failed read, and a clock stepped back does not freeze the report', async () => {
    let now = 0;
    const source = reads();
    const snapshot = createStatusSnapshot({ read: source.read, maxAgeMs: 2_000, staleMs: 15_000, now: () => now });
    const failed = snapshot.read();
    source.fail();
    await expect(failed).rejects.toThrow('Redis does not answer');
    const retried = snapshot.read();
    source.answer(1);
    expect((await retried).now).toBe(1);
    now = -60_000;
    const again = snapshot.read();
    source.answer(2);
    expect((await again).now).toBe(2);
    // A background read that fails leaves the last report served, and the next refresh tries again.
    now = -55_000;
    snapshot.refresh();
    source.fail();
    await settle();
    expect((await snapshot.readQuick()).now).toBe(2);
    snapshot.refresh();
    expect(source.count()).toBe(5);
  });
});
