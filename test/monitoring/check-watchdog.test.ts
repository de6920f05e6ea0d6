import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startOperationsServer, type OperationsServer } from '../../src/http/http-server.ts';
import { createWorkerMetrics } from '../../src/metrics/worker-metrics.ts';
import { connectRedis, redisTargetFrom, type RedisConnection } from '../../src/redis/connect-redis.ts';
import { eventually, testRedisUrl } from '../support/redis.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * A connection that goes quiet without closing (a network that drops packets, a proxy that hangs) fails no command
 * until its timeout and ends no socket: the watchdog must notice that no check completes, rebuild the connection
 * and the workers, and — when even that does not help — turn /healthz to 503. The worker talks to the real Redis
 * through a TCP proxy the test freezes; the watchdog's timings are shortened.
 */

let harness: Harness | undefined;
let proxy: TcpProxy | undefined;
let server: OperationsServer | undefined;
const connections: RedisConnection[] = [];

afterEach(async () => {
  await server?.close();
  await harness?.close();
  await proxy?.close();
  for (const connection of connections.splice(0)) connection.disconnect();
  harness = undefined;
  proxy = undefined;
  server = undefined;
});

/** A watch service whose Redis connections (the first and every rebuilt one) go through a proxy. */
async function watchThroughProxy() {
  harness = await startHarness('  - { id: 101, name: Events }');
  const h = harness;
  h.simulator.addFlow({ id: 101 });
  const upstream = Number(new URL(testRedisUrl()).port || 6379);
  proxy = await startTcpProxy(upstream);
  const target = redisTargetFrom({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, QUEUE_PREFIX: h.prefix });
  const connect = async () => {
    const connection = await connectRedis(target, { role: 'worker' });
    connections.push(connection);
    return connection;
  };
  const metrics = createWorkerMetrics();
  const service = await h.startService(undefined, {
    redis: await connect(),
    reconnect: connect,
    metrics,
    log: pino({ level: 'silent' }),
    watchdog: { everyMs: 200, minStallMs: 2_000, giveUpAfterMs: 3_000 },
  });
  server = await startOperationsServer(
    { health: () => service.health(), readiness: () => Promise.resolve({ ready: true }), metrics: async () => ({ contentType: 'text/plain', body: await metrics.render() }) },
    { host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }) },
  );
  return { h, service, metrics, healthz: `http://127.0.0.1:${server.port}/healthz` };
}

const sample = (text: string, series: string) => Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.slice(series.length + 1));

describe('the watchdog', () => {
  it('rebuilds a connection gone quiet: checks resume, a failure of the quiet time is alerted once', async () => {
    const { h, metrics } = await watchThroughProxy();
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= 2 ? true : undefined), 'checks');
    proxy?.freeze();
    await new Promise((resolve) => setTimeout(resolve, 500));
    h.simulator.addAttempt(101, { state: 'failed', errors: ['while Redis was quiet'] });
    await eventually(() => (h.posts().length >= 1 ? true : undefined), 'the alert after the rebuild', 15_000);
    const after = h.simulator.requestCount({ flowId: 101 });
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= after + 3 ? true : undefined), 'checks at their rate again');
    expect(h.posts()).toEqual(['FAILED: Events']);
    expect(sample(await metrics.render(), 'portable_watch_worker_restarts_total')).toBe(1);
  }, 30_000);

  it('answers 503 on /healthz when a rebuild does not bring checks back, and 200 once checks complete again', async () => {
    const { h, healthz } = await watchThroughProxy();
    await eventually(() => (h.simulator.requestCount({ flowId: 101 }) >= 2 ? true : undefined), 'checks');
    expect((await fetch(healthz)).status).toBe(200);
    proxy?.freeze({ newOnes: true });
    const unhealthy = await eventually(async () => {
      const answer = await fetch(healthz);
      return answer.status === 503 ? answer.text() : undefined;
    }, '/healthz to give up', 15_000);
    expect(unhealthy).toMatch(/^not healthy: no check completed since \d{4}-\d\d-\d\dT/);
    proxy?.thaw();
    await eventually(async () => ((await fetch(healthz)).status === 200 ? true : undefined), 'healthy again', 15_000);
  }, 40_000);
});
