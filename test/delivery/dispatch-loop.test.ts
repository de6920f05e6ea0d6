import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDispatchLoop } from '../../src/delivery/dispatch-loop.ts';
import { captureLog } from '../support/capture-log.ts';

/** The loop that flushes digests and releases held alerts: rounds in order, failures logged, a clean stop. */

const EVERY_MS = 1_000;

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

function recordingRounds(...names: string[]) {
  const ran: string[] = [];
  const rounds = names.map((name) => ({
    name,
    run: () => {
      ran.push(name);
      return Promise.resolve();
    },
  }));
  return { ran, rounds };
}

describe('dispatch loop, run by hand', () => {
  it('runs every round in order, logs a failing round as a warning and goes on with the next', async () => {
    const { log, lines } = captureLog();
    const ran: string[] = [];
    const broken = new Error('ERR unknown command');
    const loop = createDispatchLoop({
      everyMs: EVERY_MS,
      log,
      rounds: [
        { name: 'digests', run: () => (ran.push('digests'), Promise.reject(broken)) },
        { name: 'held alerts', run: () => (ran.push('held alerts'), Promise.resolve()) },
      ],
    });
    await loop.runOnce();
    expect(ran).toEqual(['digests', 'held alerts']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, round: 'digests', msg: 'delivery round failed; trying again shortly', err: { message: 'ERR unknown command' } });
    await loop.close();
  });

  it('logs a round that failed because Redis is not answering at debug only (the connection tells the outage)', async () => {
    const { log, lines } = captureLog();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const loop = createDispatchLoop({ everyMs: EVERY_MS, log, rounds: [{ name: 'held alerts', run: () => Promise.reject(refused) }] });
    await loop.runOnce();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 20, round: 'held alerts', msg: 'delivery round skipped: Redis is not answering', err: { code: 'ECONNREFUSED' } });
    await loop.close();
  });

  it('does not keep the process alive while it waits for the next round', async () => {
    const loop = createDispatchLoop({ everyMs: 60_000, log: captureLog().log, rounds: [] });
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    loop.start();
    expect(timers()).toBe(before);
    await loop.close();
  });
});

describe('dispatch loop, on its timer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a round every everyMs once started, and only one timer however often start is called', async () => {
    const { ran, rounds } = recordingRounds('digests', 'held alerts');
    const loop = createDispatchLoop({ everyMs: EVERY_MS, log: captureLog().log, rounds });
    await vi.advanceTimersByTimeAsync(5 * EVERY_MS);
    expect(ran).toEqual([]);
    loop.start();
    loop.start();
    await vi.advanceTimersByTimeAsync(EVERY_MS);
    expect(ran).toEqual(['digests', 'held alerts']);
    await vi.advanceTimersByTimeAsync(2 * EVERY_MS);
    expect(ran).toHaveLength(6);
    await loop.close();
  });

  it('starts no round once closed, even one already scheduled', async () => {
    const { ran, rounds } = recordingRounds('digests');
    const loop = createDispatchLoop({ everyMs: EVERY_MS, log: captureLog().log, rounds });
    loop.start();
    await vi.advanceTimersByTimeAsync(EVERY_MS / 2);
    await loop.close();
    loop.start();
    await vi.advanceTimersByTimeAsync(10 * EVERY_MS);
    expect(ran).toEqual([]);
  });

  it('waits in close for the round in progress, and schedules none after it', async () => {
    const gate = deferred();
    let started = 0;
    const loop = createDispatchLoop({ everyMs: EVERY_MS, log: captureLog().log, rounds: [{ name: 'digests', run: () => ((started += 1), gate.promise) }] });
    loop.start();
    await vi.advanceTimersByTimeAsync(EVERY_MS);
    expect(started).toBe(1);
    let closed = false;
    const closing = loop.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(EVERY_MS);
    expect(closed).toBe(false);
    gate.resolve();
    await closing;
    await vi.advanceTimersByTimeAsync(10 * EVERY_MS);
    expect(started).toBe(1);
  });

  it('runs a round asked for by hand after the one in progress, not alongside it', async () => {
    const gate = deferred();
    const ran: string[] = [];
    const loop = createDispatchLoop({ everyMs: EVERY_MS, log: captureLog().log, rounds: [{ name: 'digests', run: () => (ran.push('start'), gate.promise.then(() => ran.push('end'))) }] });
    loop.start();
    await vi.advanceTimersByTimeAsync(EVERY_MS);
    const byHand = loop.runOnce();
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['start']);
    gate.resolve();
    await byHand;
    expect(ran).toEqual(['start', 'end', 'start', 'end']);
    await loop.close();
  });
});
