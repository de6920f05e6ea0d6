import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { interruptedSendError, sendDeadline } from '../../src/notifiers/notifier.ts';

describe('sendDeadline', () => {
  it('says the caller cancelled, not that the deadline passed, when both have fired', async () => {
    const caller = new AbortController();
    const deadline = sendDeadline(20, caller.signal);
    caller.abort();
    await sleep(60);
    expect(deadline.signal.aborted).toBe(true);
    expect({ cancelled: deadline.cancelled(), timedOut: deadline.timedOut() }).toEqual({ cancelled: true, timedOut: false });
    expect(interruptedSendError(deadline, 'sending to "oncall"', 20)).toMatchObject({ code: 'cancelled', retryable: true });
  });

  it('says the deadline passed when the caller\'s signal has not fired', async () => {
    const deadline = sendDeadline(20, new AbortController().signal);
    await sleep(60);
    expect({ cancelled: deadline.cancelled(), timedOut: deadline.timedOut() }).toEqual({ cancelled: false, timedOut: true });
  });

  it('reports no interruption while neither has fired', () => {
    const deadline = sendDeadline(10_000, undefined);
    expect(deadline.signal.aborted).toBe(false);
    expect(interruptedSendError(deadline, 'sending to "oncall"', 10_000)).toBeUndefined();
  });
});
