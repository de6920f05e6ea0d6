import { afterEach, describe, expect, it } from 'vitest';
import { answer, answerOk } from '../notifiers/slack-receiver.ts';
import { eventually } from '../support/redis.ts';
import { startSmtpReceiver } from '../notifiers/smtp-receiver.ts';
import { HARNESS_TOKEN, startHarness, type Harness, type HarnessOptions } from '../support/watch-harness.ts';

const FLOWS = `  - { id: 101, name: Events to Snowflake }
  - { id: 102, name: Orders }`;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setUp(flows = FLOWS, defaults?: string, options?: HarnessOptions): Promise<Harness> {
  harness = await startHarness(flows, defaults, options);
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

  it('stops retrying a revoked webhook (404 no_service) and records the failure', async () => {
    const h = await setUp();
    h.slack.respondWith(answer(404, 'no_service'));
    h.simulator.addAttempt(101, { state: 'failed', errors: ['boom'], createdAt: Date.now() - 60_000 });
    const service = await h.startService();
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the delivery attempt');
    await sleep(2_000);
    expect(h.slack.posts).toHaveLength(1);
    const [failed] = await service.notificationQueue.getFailed();
    expect(failed?.failedReason).toContain('no_service');
    expect(failed?.failedReason).not.toContain('harness-secret');
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

  it('costs one Portable request per check when nothing changed, and alerts nothing for history older than backfill', async () => {
    const h = await setUp();
    h.simulator.addAttempt(101, { state: 'failed', errors: ['old news'], createdAt: Date.now() - 2 * 3_600_000 });
    h.simulator.addAttempt(102, { state: 'succeeded', createdAt: Date.now() - 60_000 });
    const service = await h.startService();
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= 1 ? true : undefined), 'a first check');
    await service.close(1_000);
    const before = h.simulator.requestCount({ flowId: 101 });
    const reports = [await service.checkNow('101'), await service.checkNow('101'), await service.checkNow('101')];
    expect(reports.map((report) => (report.outcome === 'ok' ? report.requests : report.outcome))).toEqual([1, 1, 1]);
    expect(h.simulator.requestCount({ flowId: 101 }) - before).toBe(3);
    expect(h.slack.posts).toHaveLength(0);
  });

  it('a rejected token is one alert for the account, not one per flow, and its end is announced', async () => {
    const h = await setUp();
    h.simulator.setToken('rotated-token');
    await h.startService();
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the account alert');
    await sleep(2_500);
    expect(h.posts()).toHaveLength(1);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain('401');
    h.simulator.setToken(HARNESS_TOKEN);
    await eventually(() => (h.slack.posts.length >= 2 ? true : undefined), 'the account recovery');
    await sleep(1_500);
    expect(h.posts()).toHaveLength(2);
    expect(h.posts()[1]).toMatch(/^MONITOR RECOVERED/);
  });

  it('emails the failure too, through a real SMTP server', async () => {
    const smtp = await startSmtpReceiver();
    try {
      const h = await setUp('  - { id: 101, name: Events to Snowflake, notify: [oncall, mail] }\n  - { id: 102 }', undefined, {
        notifiers: '  mail: { type: email, to: [data-team@example.com] }',
        sections: `email:\n  smtpUrl: smtp://127.0.0.1:${smtp.port}\n  from: "Portable Watch <alerts@example.com>"`,
      });
      h.simulator.addAttempt(101, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });
      await h.startService();
      await eventually(() => (smtp.mails.length >= 1 && h.slack.posts.length >= 1 ? true : undefined), 'the email and the Slack post');
      await sleep(2_000);
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]?.parsed.subject).toBe('[portable-watch] FAILED: Events to Snowflake (flow 101)');
      expect(smtp.mails[0]?.parsed.text).toContain('Failed to connect to the source');
      expect(h.slack.posts).toHaveLength(1);
    } finally {
      await harness?.close();
      harness = undefined;
      await smtp.close();
    }
  });
});
