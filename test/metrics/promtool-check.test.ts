import { spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startOperationsServer, type OperationsServer } from '../../src/http/http-server.ts';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics.ts';
import { eventually } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';
import { sample } from './probe-fixtures.ts';

/**
 * Prometheus' own linter on the whole /metrics output of a worker that has done some work. promtool comes with
 * Debian's `prometheus` package (.ci/run installs it when it can); without it the test is skipped, saying why.
 */

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * prom-client's own gauges named `_total`. Node dashboards query them by these names, so they stay as they are;
 * everything else, ours above all, must pass.
 */
const UPSTREAM_NAMES = /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

let harness: Harness | undefined;
let server: OperationsServer | undefined;

afterEach(async () => {
  await server?.close();
  await harness?.close();
  server = undefined;
  harness = undefined;
});

describe('promtool check metrics', () => {
  it('finds nothing to fix in /metrics after checks, alerts, deliveries, Portable errors and reloads', async (context) => {
    context.skip(!promtool, 'promtool is not on PATH (apt-get install prometheus brings it)');
    harness = await startHarness('  - { id: 51, name: Billing }\n  - { id: 52 }');
    harness.simulator.addFlow({ id: 51, displayName: 'Billing' });
    harness.simulator.addFlow({ id: 52, displayName: 'Ledger' });
    harness.simulator.addAttempt(51, { state: 'failed', errors: ['Disk full'], createdAt: Date.now() - 30_000 });
    harness.simulator.injectFault({ kind: 'status', status: 503 }, { flowId: 52, endpoint: 'run' });
    const metrics = createWorkerMetrics({ version: '0.1.0', probeIntervalMs: 0 });
    await harness.startService(undefined, { metrics });
    metrics.configReloaded('success', Date.now());
    metrics.configReloaded('failure', Date.now());
    metrics.anomalyObserved('unknown-value');
    metrics.clockSkewObserved(1.5);
    metrics.workerRestarted();
    metrics.stateLost();
    server = await startOperationsServer(
      { readiness: () => Promise.resolve({ ready: true as const }), metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }) },
      { host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }) },
    );
    const text = await eventually(async () => {
      const body = await (await fetch(`http://127.0.0.1:${server?.port}/metrics`)).text();
      const delivered = sample(body, 'portable_watch_notifications_total{kind="failed",notifier="oncall",outcome="delivered"}');
      return delivered === 1 && (sample(body, 'portable_watch_checks_total{outcome="error"}') ?? 0) >= 1 ? body : undefined;
    }, 'a delivered alert and an errored check');

    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name ?? '');
    expect(families.filter((name) => !/^(portable_watch|process|nodejs)_/.test(name))).toEqual([]);
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${checked.stdout}${checked.stderr}`
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !UPSTREAM_NAMES.test(line));
    expect(problems).toEqual([]);
  });
});
