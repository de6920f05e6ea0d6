import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerMetrics, type WorkerMetrics } from '../../src/metrics/worker-metrics.ts';
import { createPortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { captureLog } from '../support/capture-log.ts';
import { eventually } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * The ways a watcher could stop seeing a flow without saying so: each ends in a self-repair or one loud, correct
 * alert. Real Redis, the simulator over HTTP with the quirk or fault that causes each, the real watch service.
 */

const MIN = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setUp(defaults = 'pollEvery: 1s\n  maxRuntime: 1h\n  backfill: 1h'): Promise<Harness> {
  harness = await startHarness('  - { id: 101, name: Events }', defaults);
  harness.simulator.addFlow({ id: 101, displayName: 'events' });
  return harness;
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('a tracked unfinished attempt is never dropped', () => {
  it('by a Portable that treats startTime as exclusive: the run, older than the overlap, still fails loudly', async () => {
    const h = await setUp();
    h.simulator.setQuirks({ exclusiveStartTime: true });
    // Older than the 5-minute overlap, so the window starts at this very attempt's createdAt.
    const run = h.simulator.addAttempt(101, { state: 'running', createdAt: Date.now() - 10 * MIN });
    await h.startService();
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= 4 ? true : undefined), 'a few checks');
    h.simulator.updateAttempt(101, run.id, { state: 'failed', errors: ['Source timed out'] });
    await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the failure');
    await sleep(1_500);
    expect(h.posts()).toEqual(['FAILED: Events']);
  });

  it('by an answer that leaves it out once: it is still followed, and its failure alerted', async () => {
    const h = await setUp();
    const run = h.simulator.addAttempt(101, { state: 'running', createdAt: Date.now() - 10 * MIN });
    await h.startService();
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= 2 ? true : undefined), 'the first checks');
    h.simulator.injectFault({ kind: 'omit-attempt', attemptId: run.id }, { flowId: 101, endpoint: 'run', times: 1 });
    const before = h.simulator.requestCount({ flowId: 101 });
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= before + 2 ? true : undefined), 'a check without it, and one more');
    h.simulator.updateAttempt(101, run.id, { state: 'failed', errors: ['Destination refused the write'] });
    await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the failure');
    expect(h.posts()).toEqual(['FAILED: Events']);
  });

  it('a run already hung longer than backfill when watching starts is alerted as stalled', async () => {
    const h = await setUp('pollEvery: 1s\n  maxRuntime: 2h\n  backfill: 1h');
    h.simulator.addAttempt(101, { state: 'pending', createdAt: Date.now() - 3 * 60 * MIN });
    h.simulator.addAttempt(101, { state: 'failed', errors: ['old news'], createdAt: Date.now() - 2 * 60 * MIN });
    await h.startService();
    await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the stalled alert');
    await sleep(1_500);
    // The failure older than backfill is history; the run that is still pending is not.
    expect(h.posts()).toEqual(['STALLED: Events']);
  });
});

describe('nothing unknown is silent', () => {
  async function watchWithMetrics(h: Harness): Promise<{ metrics: WorkerMetrics; lines: Array<Record<string, unknown>> }> {
    const metrics = createWorkerMetrics();
    const { log, lines } = captureLog('info');
    await h.startService(undefined, { metrics, log });
    return { metrics, lines };
  }

  it('a finished attempt with an outcome it does not know is one alert quoting the value, counted and logged once', async () => {
    const h = await setUp();
    h.simulator.addAttempt(101, { lifecycle: 'not_running', outcome: 'cancelled', createdAt: Date.now() - MIN, completedAt: Date.now() });
    const { metrics, lines } = await watchWithMetrics(h);
    await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the alert');
    await sleep(2_500);
    expect(h.posts()).toEqual(['UNKNOWN OUTCOME: Events']);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain('disposition \\"cancelled\\"');
    expect(sample(await metrics.render(), 'portable_watch_anomalies_total{kind="unknown-value"}')).toBe(1);
    const warned = lines.filter((line) => line.level === 40 && String(line.anomaly).includes('unknown disposition "cancelled"'));
    expect(warned).toHaveLength(1);
  });

  it('an attempt in a state it cannot read, running past maxRuntime, is alerted as stalled', async () => {
    const h = await setUp('pollEvery: 1s\n  maxRuntime: 2s\n  backfill: 1h');
    h.simulator.addAttempt(101, { lifecycle: 'queued', outcome: 'none', createdAt: Date.now() - MIN });
    await h.startService();
    await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the stalled alert');
    await sleep(1_500);
    expect(h.posts()).toEqual(['STALLED: Events']);
  });

  it('a FAILED attempt whose createdAt cannot be read is still alerted, once, and the anomaly counted once', async () => {
    const h = await setUp();
    const body = JSON.stringify({ data: [{ id: 9001, flow: 101, lifecycle: 'not_running', disposition: 'failed', createdAt: 'yesterday', errors: ['Disk full'] }] });
    h.simulator.injectFault({ kind: 'respond', body }, { flowId: 101, endpoint: 'run' });
    const { metrics, lines } = await watchWithMetrics(h);
    await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the failure');
    await eventually(() => (h.simulator.requestCount({ flowId: 101, path: '/v2/flows/101/run' }) >= 4 ? true : undefined), 'more checks');
    expect(h.posts()).toEqual(['FAILED: Events']);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain('Disk full');
    expect(sample(await metrics.render(), 'portable_watch_anomalies_total{kind="unreadable-timestamp"}')).toBe(1);
    expect(lines.filter((line) => line.level === 40 && line.kind === 'unreadable-timestamp')).toHaveLength(1);
  });
});

describe("time is Portable's", () => {
  it('a worker clock 10 minutes ahead of Portable still sees a run created after its last check, and says so', async () => {
    const h = await setUp();
    // A second simulator whose clock runs 10 minutes behind the worker's; the harness config points at it.
    const behind = createPortableSimulator({ token: 'pw-harness-token-51f0c2', now: () => Date.now() - 10 * MIN });
    const apiUrl = await behind.listen();
    try {
      behind.addFlow({ id: 101, displayName: 'events' });
      const account = h.config.accounts.default ?? { token: '' };
      const config = { ...h.config, accounts: { default: { ...account, apiUrl } } };
      const metrics = createWorkerMetrics();
      const { log, lines } = captureLog('info');
      await h.startService(config, { metrics, log });
      await eventually(() => (behind.requestCount({ flowId: 101 }) >= 3 ? true : undefined), 'a few checks');
      behind.addAttempt(101, { state: 'failed', errors: ['Created on Portable time'] });
      await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the failure', 8_000);
      expect(h.posts()).toEqual(['FAILED: Events']);
      const skew = sample(await metrics.render(), 'portable_watch_clock_skew_seconds');
      expect(skew).toBeGreaterThan(-605);
      expect(skew).toBeLessThan(-595);
      expect(lines.filter((line) => String(line.msg).startsWith("Portable's clock and this worker's differ"))).toHaveLength(1);
    } finally {
      await behind.close();
    }
  });
});

describe('removed means forgotten', () => {
  it('a flow removed and added again starts afresh from backfill, not from its old checkpoint', async () => {
    const h = await setUp();
    const service = await h.startService();
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= 2 ? true : undefined), 'the first checks');
    h.simulator.addFlow({ id: 102, displayName: 'orders' });
    const without = h.configWith('  - { id: 102 }');
    await service.reload(without);
    expect(await h.redis.exists(`${h.prefix}:flow:101:state`)).toBe(0);
    // While it is not watched, it fails: history by the time it is watched again with a short backfill.
    h.simulator.addAttempt(101, { state: 'failed', errors: ['While nobody watched'], createdAt: Date.now() - 20_000 });
    await sleep(1_000);
    await service.reload(h.configWith('  - { id: 101, name: Events, backfill: 5s }\n  - { id: 102 }'));
    const before = h.simulator.requestCount({ flowId: 101 });
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= before + 3 ? true : undefined), 'checks of the re-added flow');
    expect(h.posts()).toEqual([]);
  });
});

describe('Redis losing every key while two replicas run', () => {
  /** Deletes the installation's keys in one script, as a flushed Redis looks to it (the test Redis is shared). */
  const WIPE = `
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do redis.call('DEL', key) end
until cursor == '0'
return 0`;

  it('both put back what they remember: one notice, the gap failure once, nothing delivered before repeated', async () => {
    harness = await startHarness(['  - { id: 101, name: Events }', '  - { id: 102, name: Orders }', '  - { id: 103, name: Ads }'].join('\n'));
    const h = harness;
    for (const id of [101, 102, 103]) h.simulator.addFlow({ id });
    h.simulator.addAttempt(101, { state: 'failed', errors: ['before'], createdAt: Date.now() - MIN });
    h.simulator.addAttempt(102, { state: 'failed', errors: ['before'], createdAt: Date.now() - MIN });
    const guard = { stateGuard: { verifyEveryMs: 300, settleMs: 1_500 } };
    await Promise.all([h.startService(undefined, guard), h.startService(undefined, guard)]);
    await eventually(() => (h.posts().length >= 2 ? true : undefined), 'the failures before');
    await sleep(2_500);

    await h.redis.eval(WIPE, 0, `${h.prefix}*`);
    h.simulator.addAttempt(103, { state: 'failed', errors: ['in the gap'] });
    await eventually(() => (h.posts().length >= 4 ? true : undefined), 'the notice and the gap failure', 15_000);
    await sleep(3_000);
    expect(h.posts().sort()).toEqual(['FAILED: Ads', 'FAILED: Events', 'FAILED: Orders', 'MONITOR ERROR: portable-watch']);
    expect(await h.redis.exists(`${h.prefix}:installation`)).toBe(1);
  });
});

