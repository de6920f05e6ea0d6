import { afterEach, describe, expect, it } from 'vitest';
import { answer, answerOk } from '../notifiers/slack-receiver.ts';
import { eventually } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

const FLOWS = `  - { id: 101, name: Events to Snowflake }
  - { id: 102, name: Orders }`;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setUp(flows = FLOWS, defaults?: string): Promise<Harness> {
  harness = await startHarness(flows, defaults);
  harness.simulator.addFlow({ id: 101, displayName: 'events' });
  harness.simulator.addFlow({ id: 102, displayName: 'orders', dialect: 'schema' });
  return harness;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the watch service', () => {
  it('alerts a failed run once, with its error, says nothing for a healthy flow, and announces the recovery', async () => {
    const h = await setUp();
    h.simulator.addAttempt(101, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });
    h.simulator.addAttempt(102, { state: 'succeeded', createdAt: Date.now() - 60_000 });
    await h.startService();

    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the failed alert');
    await sleep(2_500); // a few more checks of both flows
    expect(h.posts()).toEqual(['FAILED: Events to Snowflake']);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain('Failed to connect to the source');

    h.simulator.addAttempt(101, { state: 'succeeded' });
    await eventually(() => (h.slack.posts.length >= 2 ? true : undefined), 'the recovered alert');
    await sleep(1_500);
    expect(h.posts()).toEqual(['FAILED: Events to Snowflake', 'RECOVERED: Events to Snowflake']);
  });

  it('alerts a run stuck past maxRuntime once', async () => {
    const h = await setUp(FLOWS, 'pollEvery: 1s\n  maxRuntime: 2s\n  backfill: 1h');
    h.simulator.addAttempt(102, { state: 'running', createdAt: Date.now() - 1_000 });
    await h.startService();
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the stalled alert');
    await sleep(2_500);
    expect(h.posts()).toEqual(['STALLED: Orders']);
  });

  it('repeats nothing after a restart', async () => {
    const h = await setUp();
    h.simulator.addAttempt(101, { state: 'failed', errors: ['boom'], createdAt: Date.now() - 60_000 });
    const first = await h.startService();
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the failed alert');
    await first.close();
    await h.startService();
    await sleep(3_000);
    expect(h.posts()).toEqual(['FAILED: Events to Snowflake']);
  });

  it('two replicas on one Redis alert once', async () => {
    const h = await setUp();
    h.simulator.addAttempt(101, { state: 'failed', errors: ['boom'], createdAt: Date.now() - 60_000 });
    await Promise.all([h.startService(), h.startService()]);
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the failed alert');
    await sleep(3_000);
    expect(h.posts()).toEqual(['FAILED: Events to Snowflake']);
    const schedulers = await (await h.startService()).checkQueue.getJobSchedulers(0, -1);
    expect(schedulers.map((scheduler) => scheduler.key).sort()).toEqual(['flow-101', 'flow-102']);
  });

  it('delivers once after Slack answers 500, then succeeds', async () => {
    const h = await setUp();
    let failures = 2;
    h.slack.respondWith((request, response) => {
      if (failures-- > 0) answer(500, 'internal_error')(request, response);
      else answerOk(request, response);
    });
    h.simulator.addAttempt(101, { state: 'failed', errors: ['boom'], createdAt: Date.now() - 60_000 });
    await h.startService();
    await eventually(() => (h.slack.posts.length >= 3 ? true : undefined), 'the third delivery attempt');
    await sleep(2_000);
    expect(h.posts()).toEqual(['FAILED: Events to Snowflake', 'FAILED: Events to Snowflake', 'FAILED: Events to Snowflake']);
  });

  it("waits Slack's Retry-After on a 429", async () => {
    const h = await setUp();
    const times: number[] = [];
    h.slack.respondWith((request, response) => {
      times.push(Date.now());
      if (times.length === 1) answer(429, 'rate_limited', { 'retry-after': '2' })(request, response);
      else answerOk(request, response);
    });
    h.simulator.addAttempt(101, { state: 'failed', errors: ['boom'], createdAt: Date.now() - 60_000 });
    await h.startService();
    await eventually(() => (times.length >= 2 ? true : undefined), 'the retried delivery', 8_000);
    const waited = (times[1] ?? 0) - (times[0] ?? 0);
    expect(waited).toBeGreaterThanOrEqual(1_900);
    await sleep(1_500);
    expect(times).toHaveLength(2);
  });

  it('survives Portable 5xx, 429 and malformed answers and still alerts', async () => {
    const h = await setUp();
    h.simulator.injectFault({ kind: 'status', status: 503 }, { flowId: 101, times: 2 });
    h.simulator.injectFault({ kind: 'rate-limit', retryAfter: 1 }, { flowId: 101, times: 2 });
    h.simulator.injectFault({ kind: 'malformed' }, { flowId: 101, times: 3 });
    h.simulator.addAttempt(101, { state: 'failed', errors: ['boom'], createdAt: Date.now() - 60_000 });
    await h.startService();
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the failed alert', 15_000);
    await sleep(1_500);
    expect(h.posts()).toEqual(['FAILED: Events to Snowflake']);
  });

  it('stops checking a flow removed from the config', async () => {
    const h = await setUp();
    const service = await h.startService();
    await eventually(() => (h.simulator.requestCount({ flowId: 102 }) >= 1 ? true : undefined), 'a check of flow 102');
    await service.reload(h.configWith('  - { id: 101 }'));
    await sleep(1_200); // a job already queued may still run once, and does nothing
    const before = h.simulator.requestCount({ flowId: 102 });
    await sleep(2_500);
    expect(h.simulator.requestCount({ flowId: 102 })).toBe(before);
    expect(h.simulator.requestCount({ flowId: 101 })).toBeGreaterThan(0);
  });

  it('alerts a flow that Portable does not know (404) as a monitor error, once', async () => {
    const h = await setUp(`${FLOWS}\n  - { id: 103, name: Gone }`);
    await h.startService();
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the monitor error');
    await sleep(2_500);
    expect(h.posts()).toEqual(['MONITOR ERROR: Gone']);
  });
});
