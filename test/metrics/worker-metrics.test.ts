import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerMetrics, endpointOf, type WorkerMetrics } from '../../src/metrics/worker-metrics.ts';
import { answer, answerOk } from '../notifiers/slack-receiver.ts';
import { eventually } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrapeUntil(metrics: WorkerMetrics, what: string, ready: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return eventually(async () => {
    const text = await metrics.render();
    return ready(text) ? text : undefined;
  }, what, timeoutMs);
}

describe('worker metrics', () => {
  it.each([
    ['/v2/flows/42/run?since=2026-01-01T00:00:00Z&sort=asc', 'run-attempts'],
    ['/api/v2/flows/42/run', 'run-attempts'],
    ['/v2/flows/42/status', 'flow-status'],
    ['/v2/flows/42', 'flow'],
    ['/v2/flows', 'flows'],
    ['/v2/somewhere-else', 'other'],
  ])('names the endpoint of %s as %s', (path, endpoint) => {
    expect(endpointOf(path)).toBe(endpoint);
  });

  it('show a Slack outage: retries counted, the alert waiting and ageing; then delivered and the queue empty', async () => {
    harness = await startHarness('  - { id: 11, name: Billing }');
    const metrics = createWorkerMetrics();
    harness.simulator.addFlow({ id: 11, displayName: 'Billing' });
    harness.slack.respondWith(answer(500, 'internal_error'));
    harness.simulator.addAttempt(11, { state: 'failed', errors: ['Disk full'], createdAt: Date.now() - 30_000 });
    await harness.startService(undefined, { metrics });

    const during = await scrapeUntil(metrics, 'an ageing undelivered alert', (text) => {
      const retries = sample(text, 'portable_watch_notifications_total{kind="failed",notifier="oncall",outcome="retry"}') ?? 0;
      return retries >= 2 && (sample(text, 'portable_watch_notification_oldest_waiting_seconds') ?? 0) >= 1;
    });
    expect(sample(during, 'portable_watch_alerts_total{kind="failed"}')).toBe(1);
    const waiting = ['wait', 'delayed', 'active'].map((state) => sample(during, `portable_watch_notification_queue_jobs{state="${state}"}`) ?? 0);
    expect(waiting.reduce((sum, count) => sum + count, 0)).toBe(1);

    harness.slack.respondWith(answerOk);
    const after = await scrapeUntil(metrics, 'the alert delivered', (text) =>
      sample(text, 'portable_watch_notifications_total{kind="failed",notifier="oncall",outcome="delivered"}') === 1,
    );
    await scrapeUntil(metrics, 'an empty queue', (text) => sample(text, 'portable_watch_notification_oldest_waiting_seconds') === 0);
    expect(sample(after, 'portable_watch_alerts_total{kind="failed"}')).toBe(1);
    // Every retry reached Slack with the same alert; the last one was accepted.
    const retries = sample(after, 'portable_watch_notifications_total{kind="failed",notifier="oncall",outcome="retry"}') ?? 0;
    expect(harness.slack.posts).toHaveLength(retries + 1);
    expect(harness.slack.posts.every((post) => JSON.stringify(post.body).includes('Disk full'))).toBe(true);
  });

  it('count Portable errors by class and checks that ended in a monitor error', async () => {
    harness = await startHarness('  - { id: 12 }');
    const metrics = createWorkerMetrics();
    harness.simulator.addFlow({ id: 12, displayName: 'Ledger' });
    harness.simulator.injectFault({ kind: 'status', status: 503 }, { flowId: 12, endpoint: 'run' });
    await harness.startService(undefined, { metrics });
    const text = await scrapeUntil(metrics, 'an errored check', (body) => (sample(body, 'portable_watch_checks_total{outcome="error"}') ?? 0) >= 1);
    // The harness's client tries three times (limit 2) before the check gives up.
    expect(sample(text, 'portable_watch_portable_requests_total{endpoint="run-attempts",result="transient"}')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'portable_watch_portable_requests_total{endpoint="run-attempts",result="ok"}')).toBeUndefined();
    // No successful check yet: the flow has no age.
    expect(text).not.toContain('portable_watch_flow_last_success_age_seconds{flow="12"}');
  });
});
