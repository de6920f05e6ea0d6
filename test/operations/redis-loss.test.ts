import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { headerOf, startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { startPrivateRedis, type PrivateRedis } from '../redis/redis-topology.ts';
import { eventually } from '../support/redis.ts';
import { cliConfigYaml, logLines, startCli, type CliProcess } from '../support/run-cli.ts';

/**
 * Redis loses everything while `portable-watch start` runs — a restart without persistence, or FLUSHALL — and the
 * worker must neither go blind nor repeat itself: schedules come back within 60 s, one warning, one alert saying
 * so, the failure that happened in the gap reported, the one delivered before not sent again.
 */

const TOKEN = 'pw-loss-token-8d2c71';
const HOOK = '/services/T7/B7/loss-secret-5a9e';

let redisServer: PrivateRedis;
let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let worker: CliProcess | undefined;

beforeEach(async () => {
  redisServer = await startPrivateRedis();
  simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-loss-'));
  simulator.addFlow({ id: 401, displayName: 'Events' });
  simulator.addFlow({ id: 402, displayName: 'Orders' });
  await writeFile(join(dir, 'flows.yaml'), cliConfigYaml(apiUrl, ['  - { id: 401, name: Events }', '  - { id: 402, name: Orders }']));
});

afterEach(async () => {
  worker?.child.kill('SIGKILL');
  worker = undefined;
  await Promise.all([simulator.close(), slack.close(), redisServer.close(), rm(dir, { recursive: true, force: true })]);
});

async function startWorker(): Promise<string> {
  worker = startCli(['start'], {
    CONFIG_PATH: join(dir, 'flows.yaml'),
    PORTABLE_API_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: slack.url(HOOK),
    REDIS_URL: redisServer.url,
  });
  const cli = worker;
  const port = await eventually(() => /"port":(\d+),"msg":"serving/.exec(cli.stdout())?.[1], 'the HTTP endpoint', 15_000);
  return `http://127.0.0.1:${port}`;
}

const headers = () => slack.posts.map((post) => headerOf(post.body));


async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

/** How each loss is made, and what /readyz may say right after it (a restarted Redis may not answer yet). */
const losses: Array<[string, (redis: PrivateRedis) => Promise<void>, RegExp]> = [
  [
    'FLUSHALL',
    async (server) => {
      const client = new Redis(server.url);
      await client.flushall();
      client.disconnect();
    },
    /^not ready: schedules missing$/,
  ],
  ['a restart without persistence', (server) => server.restart(), /^not ready: (schedules missing|Redis does not answer)$/],
];

describe('Redis loses all of its data while the worker runs', () => {
  it.each(losses)('after %s: checks resume within 60 s, one warning and one alert, nothing repeated, the gap reported', async (_name, lose, notReadyBody) => {
    simulator.addAttempt(401, { state: 'failed', errors: ['Failed before the loss'], createdAt: Date.now() - 60_000 });
    const base = await startWorker();
    await eventually(() => (headers().length >= 1 ? true : undefined), 'the first failure', 15_000);
    await eventually(async () => ((await get(`${base}/readyz`)).status === 200 ? true : undefined), 'ready');

    await lose(redisServer);
    const lostAt = Date.now();
    // A failure while nothing is scheduled: it must still be reported once checks resume.
    simulator.addAttempt(402, { state: 'failed', errors: ['Failed during the gap'], createdAt: Date.now() });
    const notReady = await eventually(async () => {
      const answer = await get(`${base}/readyz`).catch(() => undefined);
      return answer?.status === 503 ? answer : undefined;
    }, 'readiness to notice', 10_000);
    expect(notReady.body.trim()).toMatch(notReadyBody);

    const requestsBefore = simulator.requestCount({ flowId: 401 });
    await eventually(() => (simulator.requestCount({ flowId: 401 }) > requestsBefore + 2 ? true : undefined), 'checks to resume', 60_000);
    expect(Date.now() - lostAt).toBeLessThan(60_000);
    await eventually(() => (headers().length >= 3 ? true : undefined), 'the gap failure and the notice', 30_000);
    await eventually(async () => ((await get(`${base}/readyz`)).status === 200 ? true : undefined), 'ready again');
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    expect(headers().sort()).toEqual(['FAILED: Events', 'FAILED: Orders', 'MONITOR ERROR: portable-watch']);
    const notice = JSON.stringify(slack.posts.find((post) => JSON.stringify(post.body).includes('MONITOR ERROR'))?.body);
    expect(notice).toContain("Redis lost portable-watch's state at about");
    expect(notice).toContain('checking resumed');
    expect(JSON.stringify(slack.posts.find((post) => JSON.stringify(post.body).includes('FAILED: Orders'))?.body)).toContain('Failed during the gap');

    const warnings = (worker === undefined ? [] : logLines(worker)).filter((line) => String(line.msg).startsWith("Redis lost portable-watch's state"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe(40);
    const metrics = (await get(`${base}/metrics`)).body;
    expect(metrics).toMatch(/portable_watch_flow_last_success_age_seconds\{account="default",flow="401"\} \d/);
    expect(metrics).toMatch(/portable_watch_flow_last_success_age_seconds\{account="default",flow="402"\} \d/);
    expect(metrics).toMatch(/portable_watch_redis_state_lost_total 1/);
    const logs = (worker?.stdout() ?? '') + (worker?.stderr() ?? '');
    for (const secret of [TOKEN, HOOK, 'loss-secret']) expect(logs).not.toContain(secret);
  }, 120_000);
});
