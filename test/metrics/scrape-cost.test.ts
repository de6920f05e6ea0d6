import type { Logger } from 'pino';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startOperationsServer, type OperationsServer } from '../../src/http/http-server.ts';
import { createWorkerMetrics, PROBE_INTERVAL_MS } from '../../src/metrics/worker-metrics.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';
import { countingMetrics, countingProbes, fixedProbes, noCalls, sample } from './probe-fixtures.ts';

/** /metrics reads Redis at most once per interval however often and however many scrape it, and never breaks. */

let harness: Harness | undefined;
let server: OperationsServer | undefined;

afterEach(async () => {
  await server?.close();
  await harness?.close();
  server = undefined;
  harness = undefined;
});

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

function recordingLog(): { log: Pick<Logger, 'warn' | 'info'>; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (_fields: object, message: string) => lines.push(`${level} ${message}`);
  return { lines, log: { warn: record('warn'), info: record('info') } as unknown as Pick<Logger, 'warn' | 'info'> };
}

describe('metrics scrape cost', () => {
  it('reads Redis once per probe for many concurrent and repeated scrapes of /metrics, and again after the interval', async () => {
    harness = await startHarness('  - { id: 31 }\n  - { id: 32 }\n  - { id: 33 }');
    for (const id of [31, 32, 33]) harness.simulator.addFlow({ id, displayName: `Flow ${id}` });
    let clock = Date.now();
    const calls = noCalls();
    const metrics = countingMetrics(createWorkerMetrics({ now: () => clock }), calls);
    await harness.startService(undefined, { metrics });
    server = await startOperationsServer(
      { readiness: () => Promise.resolve({ ready: true as const }), metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }) },
      { host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }) },
    );
    const url = `http://127.0.0.1:${server.port}/metrics`;
    const scrape = async () => (await fetch(url)).text();
    const once = { notificationJobs: 1, checkJobs: 1, oldestWaitingNotification: 1, lastSuccessfulChecks: 1 };

    const bodies = await Promise.all(Array.from({ length: 40 }, scrape));
    expect(calls).toEqual(once);
    expect(bodies.every((body) => body.includes('portable_watch_flow_last_success_age_seconds{account="default",flow="33"}'))).toBe(true);
    for (let index = 0; index < 20; index += 1) await scrape();
    clock += PROBE_INTERVAL_MS - 1;
    await Promise.all(Array.from({ length: 20 }, scrape));
    expect(calls).toEqual(once);

    clock += 1;
    await Promise.all(Array.from({ length: 40 }, scrape));
    expect(calls).toEqual({ notificationJobs: 2, checkJobs: 2, oldestWaitingNotification: 2, lastSuccessfulChecks: 2 });
  });

  it('lets concurrent scrapes share the round in flight instead of starting another', async () => {
    const metrics = createWorkerMetrics({ probeIntervalMs: 0 });
    const calls = noCalls();
    const answer = deferred<Record<string, number>>();
    metrics.setProbes(countingProbes(fixedProbes({ checkJobs: () => answer.promise }), calls));
    const scrapes = Array.from({ length: 25 }, () => metrics.render());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.checkJobs).toBe(1);
    answer.resolve({ wait: 7 });
    const bodies = await Promise.all(scrapes);
    expect(bodies.every((body) => sample(body, 'portable_watch_check_queue_jobs{state="wait"}') === 7)).toBe(true);
    expect(calls).toEqual({ notificationJobs: 1, checkJobs: 1, oldestWaitingNotification: 1, lastSuccessfulChecks: 1 });
  });

  it('reads again when the wall clock steps back rather than freezing the gauges until it catches up', async () => {
    let clock = 1_000_000;
    const metrics = createWorkerMetrics({ now: () => clock });
    const calls = noCalls();
    metrics.setProbes(countingProbes(fixedProbes(), calls));
    await metrics.render();
    clock -= 3_600_000;
    await metrics.render();
    await metrics.render();
    expect(calls.checkJobs).toBe(2);
  });

  it('keeps the last values of a probe that throws, counts and logs the failure once, and takes fresh values again', async () => {
    let clock = 0;
    const { log, lines } = recordingLog();
    const metrics = createWorkerMetrics({ now: () => clock, log });
    const answers: Array<Record<string, number> | Error> = [{ wait: 3 }, new Error('READONLY'), new Error('READONLY'), { wait: 5 }];
    metrics.setProbes(
      fixedProbes({
        notificationJobs: () => {
          const next = answers.shift() ?? new Error('no more answers');
          return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
        },
      }),
    );
    const waiting = async () => {
      clock += PROBE_INTERVAL_MS;
      const text = await metrics.render();
      return [sample(text, 'portable_watch_notification_queue_jobs{state="wait"}'), sample(text, 'portable_watch_metrics_probe_errors_total{probe="notificationJobs"}')];
    };
    expect(await waiting()).toEqual([3, undefined]);
    expect(await waiting()).toEqual([3, 1]);
    expect(await waiting()).toEqual([3, 2]);
    expect(await waiting()).toEqual([5, 2]);
    expect(lines).toEqual([
      'warn metrics probe failed; its gauges keep their last values',
      'info metrics probe answers again',
    ]);
  });

  it('answers within the wait when Redis hangs, with the last values, and starts no second round until the first ends', async () => {
    let clock = 0;
    const metrics = createWorkerMetrics({ now: () => clock, probeWaitMs: 100 });
    const calls = noCalls();
    const hang = deferred<Record<string, number>>();
    let hanging = false;
    metrics.setProbes(countingProbes(fixedProbes({ checkJobs: () => (hanging ? hang.promise : Promise.resolve({ wait: 1 })) }), calls));
    expect(sample(await metrics.render(), 'portable_watch_check_queue_jobs{state="wait"}')).toBe(1);

    hanging = true;
    for (let scrape = 0; scrape < 3; scrape += 1) {
      clock += PROBE_INTERVAL_MS;
      const startedAt = Date.now();
      const text = await metrics.render();
      expect(Date.now() - startedAt).toBeLessThan(1_000);
      expect(sample(text, 'portable_watch_check_queue_jobs{state="wait"}')).toBe(1);
      expect(sample(text, 'portable_watch_metrics_probe_errors_total{probe="checkJobs"}')).toBe(1);
    }
    expect(calls.checkJobs).toBe(2);
    hang.resolve({ wait: 9 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The late answer is taken, and with the round over the next scrape (the interval has passed) reads again.
    expect(sample(await metrics.render(), 'portable_watch_check_queue_jobs{state="wait"}')).toBe(9);
    expect(calls.checkJobs).toBe(3);
    await metrics.render();
    expect(calls.checkJobs).toBe(3);
  });
});
