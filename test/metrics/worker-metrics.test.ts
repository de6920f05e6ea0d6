import { afterEach, describe, expect, it } from 'vitest';
import { flowKey } from '../../src/accounts/flow-ref.ts';
import { createWorkerMetrics, endpointOf, PROBE_INTERVAL_MS, type WorkerMetrics } from '../../src/metrics/worker-metrics.ts';
import { answer, answerOk } from '../notifiers/slack-receiver.ts';
import { dropPrefix, eventually } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';
import { fixedProbes, sample } from './probe-fixtures.ts';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

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

  it('counts an alert routed to two notifiers once, and each of its two deliveries', async () => {
    const notifiers = (url: (path: string) => string) => `  team: { type: slack, webhookUrl: "${url('/team')}" }`;
    const routes = 'routes:\n  - { match: { team: data }, notify: [team] }';
    harness = await startHarness('  - { id: 12, name: Ledger, labels: { team: data } }', undefined, { notifiers, sections: routes });
    const metrics = createWorkerMetrics({ probeIntervalMs: 0 });
    harness.simulator.addFlow({ id: 12, displayName: 'Ledger' });
    harness.simulator.addAttempt(12, { state: 'failed', errors: ['Disk full'], createdAt: Date.now() - 30_000 });
    await harness.startService(undefined, { metrics });
    const text = await scrapeUntil(metrics, 'both deliveries', (scraped) =>
      ['oncall', 'team'].every((name) => sample(scraped, `portable_watch_notifications_total{kind="failed",notifier="${name}",outcome="delivered"}`) === 1),
    );
    expect(sample(text, 'portable_watch_alerts_total{kind="failed"}')).toBe(1);
  });

  it('show a Slack outage: retries counted, the alert waiting and ageing; then delivered and the queue empty', async () => {
    harness = await startHarness('  - { id: 11, name: Billing }');
    const metrics = createWorkerMetrics({ probeIntervalMs: 0 });
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
    const metrics = createWorkerMetrics({ probeIntervalMs: 0 });
    harness.simulator.addFlow({ id: 12, displayName: 'Ledger' });
    harness.simulator.injectFault({ kind: 'status', status: 503 }, { flowId: 12, endpoint: 'run' });
    const watchedFrom = Date.now();
    await harness.startService(undefined, { metrics });
    const text = await scrapeUntil(metrics, 'an errored check', (body) => (sample(body, 'portable_watch_checks_total{outcome="error"}') ?? 0) >= 1);
    // The harness's client tries three times (limit 2) before the check gives up.
    expect(sample(text, 'portable_watch_portable_requests_total{endpoint="run-attempts",result="transient"}')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'portable_watch_portable_requests_total{endpoint="run-attempts",result="ok"}')).toBeUndefined();
    // No successful check yet: the flow's age counts from when the service started watching it.
    const age = sample(text, 'portable_watch_flow_last_success_age_seconds{account="default",flow="12"}');
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThanOrEqual((Date.now() - watchedFrom) / 1000);
  });
});

/** Each flow's age by its flow key ('21', or 'prod~21' for another account), read from its account and flow labels. */
function ages(text: string): Record<string, number> {
  const found = [...text.matchAll(/^portable_watch_flow_last_success_age_seconds\{account="([^"]*)",flow="(\d+)"\} (\S+)$/gm)];
  return Object.fromEntries(found.map((match): [string, number] => [flowKey({ account: match[1] ?? '', id: Number(match[2]) }), Number(match[3])]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('flow last success age', () => {
  it('exists for every flow from the start, counts from when a reload added a flow, and drops a removed one', async () => {
    harness = await startHarness('  - { id: 21 }');
    // Portable refuses everything: no check ever succeeds.
    harness.simulator.injectFault({ kind: 'status', status: 503 });
    const metrics = createWorkerMetrics({ probeIntervalMs: 0 });
    const startFrom = Date.now();
    const service = await harness.startService(undefined, { metrics });
    const startedBy = Date.now();
    const atStart = ages(await metrics.render());
    expect(Object.keys(atStart)).toEqual(['21']);
    expect(atStart['21']).toBeLessThanOrEqual((Date.now() - startFrom) / 1000);

    await sleep(1_500);
    const addedFrom = Date.now();
    await service.reload(harness.configWith('  - { id: 21 }\n  - { id: 22 }'));
    const afterAdd = ages(await metrics.render());
    const renderedAt = Date.now();
    expect(afterAdd['21']).toBeGreaterThanOrEqual((addedFrom - startedBy) / 1000);
    expect(afterAdd['22']).toBeLessThanOrEqual((renderedAt - addedFrom) / 1000);
    expect(afterAdd['22']).toBeLessThan((afterAdd['21'] ?? 0) - 1);

    await service.reload(harness.configWith('  - { id: 22 }'));
    expect(Object.keys(ages(await metrics.render()))).toEqual(['22']);
  });

  it('keeps every flow\'s age, and keeps it growing, when checks stop and Redis has lost all its state', async () => {
    harness = await startHarness('  - { id: 23 }\n  - { id: 24 }');
    for (const id of [23, 24]) harness.simulator.addFlow({ id, displayName: `Flow ${id}` });
    const metrics = createWorkerMetrics({ probeIntervalMs: 0 });
    await harness.startService(undefined, { metrics });
    await sleep(2_500);
    // Younger than the service: both flows have been checked successfully.
    await scrapeUntil(metrics, 'both flows checked', (text) => Object.values(ages(text)).filter((age) => age < 1.5).length === 2);

    harness.simulator.injectFault({ kind: 'status', status: 503 });
    await sleep(500);
    await dropPrefix(harness.redis, harness.prefix);
    const lost = ages(await metrics.render());
    expect(Object.keys(lost).sort()).toEqual(['23', '24']);
    await sleep(1_000);
    const later = ages(await metrics.render());
    for (const flow of ['23', '24']) expect((later[flow] ?? 0) - (lost[flow] ?? 0)).toBeGreaterThanOrEqual(0.9);
  });

  it('counts from the last success seen, kept when Redis forgets it, else from when this process started watching', async () => {
    const watchedAt = 1_000_000;
    let clock = watchedAt + 15_000;
    // Flow 1 succeeded after the start, flow 2 never, flow 3 last an hour before this process started; account
    // prod's flow 1 never did.
    let stored = new Map([
      ['1', watchedAt + 10_000],
      ['3', watchedAt - 3_600_000],
    ]);
    const metrics = createWorkerMetrics({ now: () => clock });
    const watched = new Map([
      ['1', watchedAt],
      ['2', watchedAt],
      ['3', watchedAt],
      ['prod~1', watchedAt],
    ]);
    metrics.setProbes(fixedProbes({ lastSuccessfulChecks: () => Promise.resolve(stored), watchedFlows: () => watched }));
    const text = await metrics.render();
    expect(ages(text)).toEqual({ 1: 5, 2: 15, 3: 3615, 'prod~1': 15 });
    // Two accounts' flow 1 are two series, told apart by the account label; the flow label is the Portable id.
    expect(sample(text, 'portable_watch_flow_last_success_age_seconds{account="default",flow="1"}')).toBe(5);
    expect(sample(text, 'portable_watch_flow_last_success_age_seconds{account="prod",flow="1"}')).toBe(15);

    stored = new Map();
    clock += PROBE_INTERVAL_MS;
    expect(ages(await metrics.render())).toEqual({ 1: 10, 2: 20, 3: 3620, 'prod~1': 20 });
  });
});

describe('metrics for other parts of the worker', () => {
  it('count anomalies by kind, watchdog restarts and Redis state losses, and show the clock skew', async () => {
    const metrics = createWorkerMetrics();
    const before = await metrics.render();
    // Counters without labels exist from the start, so increase() sees the first one.
    expect(sample(before, 'portable_watch_worker_restarts_total')).toBe(0);
    expect(sample(before, 'portable_watch_redis_state_lost_total')).toBe(0);

    metrics.anomalyObserved('unknown-value');
    metrics.anomalyObserved('unknown-value');
    metrics.anomalyObserved('paging');
    metrics.clockSkewObserved(-2.5);
    metrics.workerRestarted();
    metrics.stateLost();
    metrics.stateLost();
    const text = await metrics.render();
    expect(sample(text, 'portable_watch_anomalies_total{kind="unknown-value"}')).toBe(2);
    expect(sample(text, 'portable_watch_anomalies_total{kind="paging"}')).toBe(1);
    expect(sample(text, 'portable_watch_clock_skew_seconds')).toBe(-2.5);
    expect(sample(text, 'portable_watch_worker_restarts_total')).toBe(1);
    expect(sample(text, 'portable_watch_redis_state_lost_total')).toBe(2);
    expect(text).toContain('# TYPE portable_watch_anomalies_total counter');
    expect(text).toContain('# TYPE portable_watch_clock_skew_seconds gauge');
  });

  it('names prom-client\'s process metrics process_* and nodejs_*, as Node dashboards expect', async () => {
    const text = await createWorkerMetrics().render();
    expect(text).toContain('\nprocess_resident_memory_bytes ');
    expect(text).toContain('\nnodejs_heap_size_used_bytes ');
    expect(text).not.toMatch(/^portable_watch_(process|nodejs)_/m);
  });
});
