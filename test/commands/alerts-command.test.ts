import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTIFICATION_QUEUE } from '../../src/delivery/notification-queue.ts';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { answerOk, headerOf, startSlackReceiver, type Responder, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { connectRedis, dropPrefix, eventually, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { startCli, startProcess, type CliProcess } from '../support/run-cli.ts';

/**
 * `portable-watch alerts` as a user meets it: a worker process alerts two Slack webhooks that refuse for good, the
 * alerts are given up; the user lists them from a shell without any secret, fixes the webhooks and sends them again.
 */

const TOKEN = 'pw-alerts-token-5c1e9a';
const ONCALL_HOOK = '/services/T1/B1/oncall-secret-3f8e';
const TEAM_HOOK = '/services/T2/B2/team-secret-a71c';
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

let simulator: PortableSimulator;
let slack: SlackReceiver;
let redis: Redis;
let dir: string;
let prefix: string;
let configPath: string;
const processes: CliProcess[] = [];

/** Slack's permanent refusals: a revoked webhook for oncall, a bad token for team (classify-slack-error.ts). */
const refuse: Responder = (request, response) => {
  const [status, body] = request.url === ONCALL_HOOK ? [404, 'no_service'] : [403, 'invalid_token'];
  response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
};

beforeEach(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  slack = await startSlackReceiver();
  slack.respondWith(refuse);
  redis = connectRedis();
  dir = await mkdtemp(join(tmpdir(), 'pw-alerts-'));
  prefix = uniquePrefix('alerts');
  simulator.addFlow({ id: 201, displayName: 'Events' });
  simulator.addFlow({ id: 202, displayName: 'Orders' });
  for (const flowId of [201, 202]) simulator.addAttempt(flowId, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });
  configPath = join(dir, 'flows.yaml');
  const config = [
    'portable:',
    '  token: ${PORTABLE_API_TOKEN}',
    `  apiUrl: ${apiUrl}`,
    'defaults: { pollEvery: 1s, backfill: 1h, notify: [oncall, team] }',
    'notifiers:',
    '  oncall: { type: slack, webhookUrl: "${SLACK_WEBHOOK_URL}" }',
    '  team: { type: slack, webhookUrl: "${TEAM_WEBHOOK_URL}" }',
    'flows:',
    '  - { id: 201, name: Events to Snowflake }',
    '  - { id: 202 }',
  ].join('\n');
  await writeFile(configPath, config);
});

afterEach(async () => {
  for (const cli of processes.splice(0)) {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** The worker, with the secrets it needs; it keeps running and delivers whatever is queued again. */
async function startWorkerAndGiveUp(): Promise<void> {
  const worker = startCli(['start'], {
    CONFIG_PATH: configPath,
    PORTABLE_API_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: slack.url(ONCALL_HOOK),
    TEAM_WEBHOOK_URL: slack.url(TEAM_HOOK),
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
  });
  processes.push(worker);
  const queue = new Queue(NOTIFICATION_QUEUE, { connection: redis, prefix, skipMetasUpdate: true });
  try {
    await eventually(async () => ((await queue.getJobCounts('failed')).failed === 4 ? true : undefined), 'both alerts given up for both notifiers', 20_000);
  } finally {
    await queue.close();
  }
  expect(slack.posts).toHaveLength(4);
}

/** `portable-watch ARGS` from a shell with Redis and nothing else: no token, no webhook URL, no CONFIG_PATH. */
async function run(...args: string[]) {
  const cli = startProcess([process.execPath, CLI, ...args, '--config', configPath], {
    env: { PATH: process.env.PATH ?? '', REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix },
  });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The headers of the posts each webhook got, sorted: what each channel saw. */
function postsTo(path: string): string[] {
  return slack.posts
    .filter((post) => post.path === path)
    .map((post) => headerOf(post.body))
    .sort();
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 2_000));

interface JsonAlert {
  state: string;
  kind: string;
  scope: string;
  flow: { id: number; name: string } | null;
  notifier: string;
  key: string;
  jobId: string;
  queuedAt: { ms: number; iso: string };
  ageMs: number;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  lastTriedAt: { ms: number; iso: string } | null;
}

describe('portable-watch alerts', () => {
  it('lists given-up alerts with their errors; retry --notifier sends only that notifier’s, once; a second retry sends nothing', async () => {
    await startWorkerAndGiveUp();

    const json = await run('alerts', '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { generatedAt: { ms: number }; counts: unknown; alerts: JsonAlert[] };
    expect(listed.counts).toEqual({ waiting: 0, retrying: 0, givenUp: 4 });
    const byPair = new Map(listed.alerts.map((alert) => [`${alert.flow?.id ?? 0}.${alert.notifier}`, alert]));
    expect([...byPair.keys()].sort()).toEqual(['201.oncall', '201.team', '202.oncall', '202.team']);
    expect(byPair.get('201.oncall')).toMatchObject({
      state: 'given-up',
      kind: 'failed',
      scope: 'flow',
      flow: { id: 201, name: 'Events to Snowflake' },
      notifier: 'oncall',
      attempts: 1,
      maxAttempts: 30,
      lastError:
        'Slack webhook for notifier "oncall" was revoked or deleted (404 no_service): create a new incoming webhook and update the webhook URL of this notifier',
    });
    expect(byPair.get('202.team')).toMatchObject({ flow: { id: 202, name: 'Orders' }, lastError: expect.stringContaining('has an invalid token (403 invalid_token)') as string });
    for (const alert of listed.alerts) {
      expect(alert.ageMs).toBe(listed.generatedAt.ms - alert.queuedAt.ms);
      expect(alert.ageMs).toBeGreaterThanOrEqual(0);
      expect(alert.lastTriedAt?.ms).toBeGreaterThanOrEqual(alert.queuedAt.ms);
      expect(alert.jobId).toBe(`${alert.key}.${alert.notifier}`);
    }
    for (const secret of [ONCALL_HOOK, TEAM_HOOK, 'secret', TOKEN, slack.url('')]) expect(json.stdout).not.toContain(secret);

    const table = await run('alerts');
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^STATE +KIND +FLOW +NOTIFIER +AGE +ATTEMPTS +LAST ERROR$/);
    expect(lines.filter((line) => /^given up +failed +20[12] .+ (oncall|team) +\S+ +1\/30 +Slack webhook for notifier "(oncall|team)"/.test(line))).toHaveLength(4);
    expect(table.stdout).toContain('\n4 given up, 0 retrying, 0 waiting.\n');
    expect(table.stdout).toContain('portable-watch alerts retry --notifier NAME');

    // Nobody resends everything by accident, nor to a notifier that does not exist.
    const neither = await run('alerts', 'retry');
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('choose what to send again: --notifier NAME, or --all for every notifier');
    const unknown = await run('alerts', 'retry', '--notifier', 'on-call');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('portable-watch alerts retry: no notifier named "on-call" in the config (configured: oncall, team)');

    slack.respondWith(answerOk);
    const retried = await run('alerts', 'retry', '--notifier', 'oncall');
    expect(retried.stderr).toBe('');
    expect(retried.code).toBe(0);
    expect(retried.stdout.split('\n')).toEqual([
      'oncall: 2 re-queued',
      'team: 2 given up, left as they are (choose them with --notifier team)',
      '2 alerts re-queued; a running worker (portable-watch start) sends them.',
      '',
    ]);
    await eventually(() => (postsTo(ONCALL_HOOK).length === 4 ? true : undefined), 'the worker to send both again', 15_000);
    await settle();
    // Two refused, then each alert delivered exactly once; team's webhook was not tried again.
    expect(postsTo(ONCALL_HOOK)).toEqual(['FAILED: Events to Snowflake', 'FAILED: Events to Snowflake', 'FAILED: Orders', 'FAILED: Orders']);
    expect(postsTo(TEAM_HOOK)).toHaveLength(2);
    const after = JSON.parse((await run('alerts', '--json')).stdout) as { alerts: JsonAlert[] };
    expect(after.alerts.map((alert) => `${alert.state} ${alert.notifier}`)).toEqual(['given-up team', 'given-up team']);

    const again = await run('alerts', 'retry', '--notifier', 'oncall');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('oncall: nothing given up\n');
    expect(again.stdout).toContain('0 alerts re-queued\n');
    await settle();
    expect(slack.posts).toHaveLength(6);
  }, 60_000);

  it('two retries run at the same time re-queue, and the worker sends, each alert once', async () => {
    await startWorkerAndGiveUp();
    slack.respondWith(answerOk);
    const [first, second] = await Promise.all([run('alerts', 'retry', '--all'), run('alerts', 'retry', '--all')]);
    expect([first.code, second.code]).toEqual([0, 0]);
    const requeued = (output: string) => Number(/^(\d+) alerts? re-queued/m.exec(output)?.[1]);
    expect(requeued(first.stdout) + requeued(second.stdout)).toBe(4);
    await eventually(() => (slack.posts.length === 8 ? true : undefined), 'the worker to send all four again', 15_000);
    await settle();
    expect(slack.posts).toHaveLength(8);
    for (const hook of [ONCALL_HOOK, TEAM_HOOK]) expect(postsTo(hook)).toEqual(['FAILED: Events to Snowflake', 'FAILED: Events to Snowflake', 'FAILED: Orders', 'FAILED: Orders']);
    const after = JSON.parse((await run('alerts', '--json')).stdout) as { alerts: JsonAlert[] };
    expect(after.alerts).toEqual([]);
  }, 60_000);
});
