import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { answer, startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { dropPrefix, eventually, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { cliConfigYaml, runCli, startCli, type CliProcess } from '../support/run-cli.ts';

const TOKEN = 'pw-process-token-0b7d4e';
const HOOK = '/services/T1/B1/process-secret-77aa';

let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let prefix: string;
let env: Record<string, string>;
const processes: CliProcess[] = [];

beforeEach(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-cli-'));
  prefix = uniquePrefix('cli');
  simulator.addFlow({ id: 201, displayName: 'Events' });
  simulator.addFlow({ id: 202, displayName: 'Orders', dialect: 'schema' });
  const config = cliConfigYaml(apiUrl, ['  - { id: 201, name: Events to Snowflake }', '  - { id: 202 }']);
  await writeFile(join(dir, 'flows.yaml'), config);
  env = {
    CONFIG_PATH: join(dir, 'flows.yaml'),
    PORTABLE_API_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: slack.url(HOOK),
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'debug',
  };
});

afterEach(async () => {
  for (const cli of processes.splice(0)) cli.child.kill('SIGKILL');
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
  const redis = new Redis(testRedisUrl());
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function start(): CliProcess {
  const cli = startCli(['start'], env);
  processes.push(cli);
  return cli;
}

const failedRun = () => simulator.addAttempt(201, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });

describe('portable-watch start (a real process)', () => {
  it('alerts, then stops within 10 s on SIGTERM with exit 0, and never logs a secret', async () => {
    failedRun();
    const worker = start();
    await eventually(() => (slack.posts.length >= 1 ? true : undefined), 'the failed alert', 15_000);
    const stoppedAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const logs = worker.stdout() + worker.stderr();
    expect(logs).toContain('"msg":"alert delivered"');
    for (const secret of [TOKEN, HOOK, 'process-secret']) expect(logs).not.toContain(secret);
  });

  it('a worker killed with SIGKILL mid-check, then restarted, alerts once', async () => {
    failedRun();
    simulator.injectFault({ kind: 'delay', ms: 2_000 }, { flowId: 201, times: 1 });
    const first = start();
    await eventually(() => (simulator.requestCount({ flowId: 201 }) >= 1 ? true : undefined), 'the first, slow check', 15_000);
    first.child.kill('SIGKILL');
    await first.exited;
    start();
    // The dead worker's lease on the flow lapses within 10 s; then the new one checks and alerts.
    await eventually(() => (slack.posts.length >= 1 ? true : undefined), 'the failed alert', 25_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(slack.posts).toHaveLength(1);
  }, 40_000);

  it('two worker processes on one Redis alert once', async () => {
    failedRun();
    start();
    start();
    await eventually(() => (slack.posts.length >= 1 ? true : undefined), 'the failed alert', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(slack.posts).toHaveLength(1);
  });

  it('refuses to start on a config that does not validate, with the validate messages', async () => {
    await writeFile(join(dir, 'flows.yaml'), 'portable: { token: x }\nflows:\n  - { id: 1, maxRunTime: 5m }\n');
    const result = await runCli(['start'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('flows[0].maxRunTime: unknown key (did you mean "maxRuntime"?)');
  });
});

describe('portable-watch check', () => {
  it('--dry-run prints the failure and sends nothing; a real check sends it once; the next finds nothing new', async () => {
    failedRun();
    const dry = await runCli(['check', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('FAILED: Events to Snowflake attempt');
    expect(dry.stdout).toContain('Failed to connect to the source');
    expect(slack.posts).toHaveLength(0);

    const real = await runCli(['check', '--flow', '201'], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('\nsent: oncall 1\n');
    expect(slack.posts).toHaveLength(1);

    const again = await runCli(['check', '--flow', '201'], env);
    expect(again.stdout).toContain('flow 201: 1 request, 0 alerts');
    expect(slack.posts).toHaveLength(1);
  });
});

describe('portable-watch test-alert', () => {
  it('sends a labelled test message and reports it', async () => {
    const result = await runCli(['test-alert'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('oncall (slack): sent');
    expect(JSON.stringify(slack.posts[0]?.body)).toMatch(/test/i);
  });

  it('exits 1 and says why when the webhook is revoked, without printing its URL', async () => {
    slack.respondWith(answer(404, 'no_service'));
    const result = await runCli(['test-alert', '--notifier', 'oncall'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('oncall (slack): FAILED');
    expect(result.stdout).toContain('no_service');
    expect(result.stdout + result.stderr).not.toContain('process-secret');
  });
});
