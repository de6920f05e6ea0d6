import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectRedis, redisTargetFrom } from '../../src/redis/connect-redis.ts';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { eventually, uniquePrefix } from '../support/redis.ts';
import { cliConfigYaml, runCli, startCli, type CliProcess } from '../support/run-cli.ts';
import { freePort, startRedisCluster, startRedisSentinel, type RedisTopology } from './redis-topology.ts';

/**
 * The worker as an operator runs it on the two other Redis topologies: the real CLI, a real three-master Redis
 * Cluster, a real master behind a real Sentinel, each with passwords. The CLI gets only the variables the
 * README documents; REDIS_URL carries the password alone (its host does not exist).
 */

const TOKEN = 'pw-topology-token-6e2d1b';
const HOOK = '/services/T7/B7/topology-secret-c94e';
const PASSWORD = 'data-pw-3b8f7a';
const SENTINEL_PASSWORD = 'sentinel-pw-d50c1e';
const SECRETS = [TOKEN, HOOK, PASSWORD, SENTINEL_PASSWORD];

let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let env: Record<string, string>;
const processes: CliProcess[] = [];

beforeEach(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-topology-'));
  simulator.addFlow({ id: 401, displayName: 'Events' });
  const config = cliConfigYaml(apiUrl, ['  - { id: 401, name: Events to Snowflake }']);
  await writeFile(join(dir, 'flows.yaml'), config);
  env = {
    CONFIG_PATH: join(dir, 'flows.yaml'),
    PORTABLE_API_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: slack.url(HOOK),
    // Its own prefix per test: the topologies are shared by the tests of a describe block.
    QUEUE_PREFIX: uniquePrefix('topology'),
    REDIS_URL: `redis://:${PASSWORD}@no-such-host.invalid:1`,
  };
});

afterEach(async () => {
  for (const cli of processes.splice(0)) cli.child.kill('SIGKILL');
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
});

/**
 * A failed run, a worker started with `redisEnv`: exactly one Slack alert; /readyz says ready; `status` (another
 * process, read-only) shows it as the flow's last alert; SIGTERM stops the worker cleanly. No secret in any output.
 */
async function expectOneAlert(redisEnv: Record<string, string>): Promise<void> {
  simulator.addAttempt(401, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });
  const worker = startCli(['start'], { ...env, ...redisEnv });
  processes.push(worker);
  await eventually(() => (slack.posts.length >= 1 ? true : undefined), `the failed alert (worker output: ${worker.stdout()}${worker.stderr()})`, 15_000);
  // Scheduled checks go on every second meanwhile: none may alert again.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(slack.posts).toHaveLength(1);
  expect(JSON.stringify(slack.posts[0]?.body)).toContain('Failed to connect to the source');
  // Readiness pings Redis: through the cluster client or the sentinel-found master alike.
  const port = /"port":(\d+),"msg":"serving/.exec(worker.stdout())?.[1];
  const ready = await fetch(`http://127.0.0.1:${port ?? 0}/readyz`);
  expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);

  const status = await runCli(['status', '--json'], { ...env, ...redisEnv });
  expect(status.stderr).toBe('');
  const report = JSON.parse(status.stdout) as { flows: Array<{ id: number; lastAlert: { kind: string } | null }> };
  expect(report.flows.find((flow) => flow.id === 401)?.lastAlert).toMatchObject({ kind: 'failed' });

  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  const output = worker.stdout() + worker.stderr() + status.stdout;
  expect(output).toContain('"msg":"alert delivered"');
  for (const secret of SECRETS) expect(output).not.toContain(secret);
}

describe('on a Redis Cluster of three masters', () => {
  let cluster: RedisTopology | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(PASSWORD);
  }, 20_000);
  afterAll(() => cluster?.close());

  it('a failed run alerts exactly once', async () => {
    await expectOneAlert({ REDIS_CLUSTER_NODES: cluster?.addresses ?? '' });
  }, 30_000);

  it('refuses a prefix without a hash tag before it connects', async () => {
    const result = await runCli(['start'], { ...env, REDIS_CLUSTER_NODES: cluster?.addresses ?? '', QUEUE_PREFIX: 'portable-watch' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^portable-watch: QUEUE_PREFIX "portable-watch" has no hash tag: .* e\.g\. \{portable-watch\}/);
  });

  it('names the nodes, not the password, when the password is wrong, even in the error\'s cause', async () => {
    const wrong = 'wrong-pw-aa41';
    const target = redisTargetFrom({ REDIS_CLUSTER_NODES: cluster?.addresses ?? '', REDIS_URL: `redis://:${wrong}@x`, QUEUE_PREFIX: env.QUEUE_PREFIX });
    const error = await connectRedis(target, { role: 'command' }).then(
      () => new Error('connected with a wrong password'),
      (thrown: unknown) => thrown as Error,
    );
    const nodes = (cluster?.addresses ?? '').split(',').join(', ');
    expect(error.message).toBe(`cannot reach the Redis Cluster at ${nodes} (WRONGPASS invalid username-password pair or user is disabled.): start it, or set REDIS_CLUSTER_NODES`);
    // ioredis's own error holds the AUTH command with its arguments; it must not travel along as the cause.
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(wrong);
  });
});

describe('on a master found through Redis Sentinel', () => {
  let sentinel: RedisTopology | undefined;
  beforeAll(async () => {
    sentinel = await startRedisSentinel('watch-master', PASSWORD, SENTINEL_PASSWORD);
  }, 20_000);
  afterAll(() => sentinel?.close());

  it('a failed run alerts exactly once', async () => {
    await expectOneAlert({ REDIS_SENTINELS: sentinel?.addresses ?? '', REDIS_SENTINEL_NAME: 'watch-master', REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD });
  }, 30_000);

  it('names the sentinels and the master group when the group is unknown', async () => {
    const result = await runCli(['start'], { ...env, REDIS_SENTINELS: sentinel?.addresses ?? '', REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `portable-watch: cannot reach Redis master "mymaster" through the sentinels at ${sentinel?.addresses ?? ''} (failed to connect to sentinel ${sentinel?.addresses ?? ''} because ERR No such master with that name): start them, or set REDIS_SENTINELS and REDIS_SENTINEL_NAME`,
    );
  });
});

describe('when nothing answers', () => {
  it.each([
    ['REDIS_CLUSTER_NODES', 'cannot reach the Redis Cluster at', 'start it, or set REDIS_CLUSTER_NODES'],
    ['REDIS_SENTINELS', 'cannot reach Redis master "mymaster" through the sentinels at', 'start them, or set REDIS_SENTINELS and REDIS_SENTINEL_NAME'],
  ])('%s: says so at once, naming host and port only', async (variable, head, advice) => {
    const port = await freePort();
    const startedAt = Date.now();
    const result = await runCli(['start'], { ...env, [variable]: `127.0.0.1:${port}`, REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^portable-watch: ${escape(head)} 127\\.0\\.0\\.1:${port} \\(.+\\): ${escape(advice)}\\n$`));
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    for (const secret of SECRETS) expect(result.stdout + result.stderr).not.toContain(secret);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
