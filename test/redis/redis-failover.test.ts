import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { headerOf, startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { eventually, uniquePrefix } from '../support/redis.ts';
import { cliConfigYaml, logLines, startCli, type CliProcess } from '../support/run-cli.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { startRedisCluster, startRedisSentinel, startReplicatedPair } from './redis-topology.ts';

/**
 * Production Redis fails over, and the worker (a real `portable-watch start` process) must keep checking: within
 * 15 s of the promotion, at its normal rate, with the failures created before, at and after the failover each
 * reaching Slack exactly once, and with a quiet log. Real topologies: a Sentinel with a replica, a 3 + 3 Redis
 * Cluster, and a primary/replica pair behind a TCP proxy standing in for a managed Redis's one host name.
 */

const TOKEN = 'pw-failover-token-1d7c';
const HOOK = '/services/T8/B8/failover-secret-e21a';
const PASSWORD = 'failover-pw-6a0b';
const SENTINEL_PASSWORD = 'failover-sentinel-pw-93c4';
const SECRETS = [TOKEN, HOOK, PASSWORD, SENTINEL_PASSWORD];
const PREFIX = uniquePrefix('failover');

let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let worker: CliProcess | undefined;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-failover-'));
  for (const id of [501, 502, 503]) simulator.addFlow({ id });
  const flows = ['  - { id: 501, name: Before }', '  - { id: 502, name: At }', '  - { id: 503, name: After }'];
  await writeFile(join(dir, 'flows.yaml'), cliConfigYaml(apiUrl, flows));
});

afterEach(async () => {
  worker?.child.kill('SIGKILL');
  worker = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
});

const headers = () => slack.posts.map((post) => headerOf(post.body));


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the worker on `redisEnv`, sees one failure alerted, then fails Redis over (`failOver` kills the primary
 * and resolves once a replica is promoted), with a failure created as the primary dies and one after the promotion.
 */
async function throughFailover(redisEnv: Record<string, string>, failOver: (atTheKill: () => void) => Promise<void>): Promise<void> {
  simulator.addAttempt(501, { state: 'failed', errors: ['before the failover'], createdAt: Date.now() - 60_000 });
  worker = startCli(['start'], {
    CONFIG_PATH: join(dir, 'flows.yaml'),
    PORTABLE_API_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: slack.url(HOOK),
    QUEUE_PREFIX: PREFIX,
    ...redisEnv,
  });
  const cli = worker;
  await eventually(() => (headers().length >= 1 ? true : undefined), `the first alert (worker output: ${cli.stdout()}${cli.stderr()})`, 20_000);
  await sleep(2_000);

  await failOver(() => simulator.addAttempt(502, { state: 'failed', errors: ['at the failover'] }));
  const promotedAt = Date.now();
  simulator.addAttempt(503, { state: 'failed', errors: ['after the failover'] });

  const before = simulator.requestCount({ flowId: 501 });
  await eventually(() => (simulator.requestCount({ flowId: 501 }) > before ? true : undefined), 'checks to resume', 15_000);
  const resumedAt = Date.now();
  expect(resumedAt - promotedAt).toBeLessThan(15_000);
  // Back to the normal rate: a 1 s flow checked about once a second.
  const resumed = simulator.requestCount({ flowId: 501 });
  await sleep(8_000);
  expect(simulator.requestCount({ flowId: 501 }) - resumed).toBeGreaterThanOrEqual(6);

  await eventually(() => (headers().length >= 3 ? true : undefined), 'the alerts at and after the failover', 20_000);
  await sleep(2_000);
  expect(headers().sort()).toEqual(['FAILED: After', 'FAILED: At', 'FAILED: Before']);

  // Quiet, readable logs: JSON only, no stack trace on stderr, an outage told in a few lines.
  expect(cli.stderr()).not.toMatch(/^\s+at /m);
  const lines = logLines(cli);
  expect(lines.filter((line) => line.msg === 'Redis cannot be reached; checks and alerts wait for it').length).toBeLessThanOrEqual(2);
  expect(lines.filter((line) => line.msg === 'Redis still cannot be reached').length).toBeLessThanOrEqual(1);
  expect(lines.filter((line) => line.msg === 'worker error' || line.msg === 'queue error' || line.msg === 'redis connection error')).toEqual([]);
  await expectCleanStop(cli);
  const output = cli.stdout() + cli.stderr();
  for (const secret of SECRETS) expect(output).not.toContain(secret);
}

/** SIGTERM still stops the worker within 10 s with status 0: nothing the failover left behind holds it. */
async function expectCleanStop(cli: CliProcess): Promise<void> {
  const stoppedAt = Date.now();
  cli.child.kill('SIGTERM');
  expect(await cli.exited).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(10_000);
}

describe('a Redis failover while the worker runs', () => {
  it('through Sentinel: master killed, replica promoted', async () => {
    const sentinel = await startRedisSentinel('failover-master', PASSWORD, SENTINEL_PASSWORD, { replica: true, downAfterMs: 1_500 });
    cleanups.push(() => sentinel.close());
    const redisEnv = {
      REDIS_SENTINELS: sentinel.addresses,
      REDIS_SENTINEL_NAME: 'failover-master',
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      REDIS_URL: `redis://:${PASSWORD}@no-such-host.invalid:1`,
    };
    await throughFailover(redisEnv, async (atTheKill) => {
      await sentinel.killMaster();
      atTheKill();
      await sentinel.promoted();
    });
  }, 90_000);

  it('through a managed endpoint: one host name whose backend moves to the promoted replica', async () => {
    const pair = await startReplicatedPair();
    cleanups.push(() => pair.close());
    const proxy = await startTcpProxy(pair.primaryPort);
    cleanups.push(() => proxy.close());
    await throughFailover({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, async (atTheKill) => {
      await pair.killPrimary();
      atTheKill();
      await sleep(2_000);
      await pair.promoteReplica();
      proxy.switchTo(pair.replicaPort);
    });
  }, 90_000);

  it('through a managed endpoint whose old primary lives on as a replica: writes answered READONLY move the connection', async () => {
    const pair = await startReplicatedPair();
    cleanups.push(() => pair.close());
    const proxy = await startTcpProxy(pair.primaryPort);
    cleanups.push(() => proxy.close());
    await throughFailover({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, async (atTheKill) => {
      await pair.promoteReplica();
      proxy.switchTo(pair.replicaPort, { keepOpen: true });
      await pair.demotePrimary();
      atTheKill();
    });
  }, 90_000);

  it('through a Redis Cluster: the master of our slot killed, its replica promoted', async () => {
    const cluster = await startRedisCluster(PASSWORD, { replicas: 1, nodeTimeoutMs: 2_000 });
    cleanups.push(() => cluster.close());
    const redisEnv = { REDIS_CLUSTER_NODES: cluster.addresses, REDIS_URL: `redis://:${PASSWORD}@no-such-host.invalid:1` };
    await throughFailover(redisEnv, async (atTheKill) => {
      const dead = await cluster.killMasterOf(PREFIX);
      atTheKill();
      await cluster.promoted(dead, PREFIX);
    });
  }, 90_000);

  it('through a connection gone quiet (a network that stops carrying packets): the watchdog recreates it', async () => {
    const pair = await startReplicatedPair();
    cleanups.push(() => pair.close());
    const proxy = await startTcpProxy(pair.primaryPort);
    cleanups.push(() => proxy.close());
    simulator.addAttempt(501, { state: 'failed', errors: ['before'], createdAt: Date.now() - 60_000 });
    worker = startCli(['start'], {
      CONFIG_PATH: join(dir, 'flows.yaml'),
      PORTABLE_API_TOKEN: TOKEN,
      SLACK_WEBHOOK_URL: slack.url(HOOK),
      QUEUE_PREFIX: PREFIX,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    });
    const cli = worker;
    await eventually(() => (headers().length >= 1 ? true : undefined), 'the first alert', 20_000);
    proxy.freeze();
    const frozenAt = Date.now();
    simulator.addAttempt(502, { state: 'failed', errors: ['while the connection was quiet'] });
    // 3 × pollEvery is less than the 30 s floor: the watchdog acts about 30 s after the last completed check.
    await eventually(() => (headers().length >= 2 ? true : undefined), 'the alert after the rebuild', 60_000);
    expect(Date.now() - frozenAt).toBeLessThan(50_000);
    const resumed = simulator.requestCount({ flowId: 501 });
    await sleep(5_000);
    expect(simulator.requestCount({ flowId: 501 }) - resumed).toBeGreaterThanOrEqual(3);
    expect(headers().sort()).toEqual(['FAILED: At', 'FAILED: Before']);
    const lines = logLines(cli);
    expect(lines.filter((line) => line.msg === 'no check has completed for too long; recreating the Redis connection and the workers')).toHaveLength(1);
    expect(lines.filter((line) => line.msg === 'checks complete again')).toHaveLength(1);
    const port = /"port":(\d+),"msg":"serving/.exec(cli.stdout())?.[1] ?? '0';
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^portable_watch_worker_restarts_total 1$/m);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
    await expectCleanStop(cli);
  }, 90_000);
});
