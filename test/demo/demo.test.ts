import { dirname } from 'node:path';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { startSlackReceiver, unusedPort, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { dropPrefix, eventually, testRedisUrl } from '../support/redis.ts';
import { runCli, startCli, type CliProcess } from '../support/run-cli.ts';

/*
 * `portable-watch demo` as a newcomer runs it: a real process, a real Redis (theirs, or a private redis-server
 * it starts), the built-in simulator, and alerts on stdout. The demo takes about a dozen seconds. The case that
 * times it runs alone, as a newcomer runs it (five demos at once on two cores take longer than one); the others
 * then run side by side, each with its own key prefix or its own Redis.
 */

const ORDERS_ERROR = "Table 'ANALYTICS.SHOPIFY.ORDERS' does not exist or not authorized";
const LEDGER_ERROR = "BigQuery rejected 188 rows: Could not parse '1.204,50' as NUMERIC for field amount";
/** Each alert of the story, in the order it is told; each must reach the user exactly once. */
const HEADLINES = [
  'FAILED: Stripe invoices to Postgres',
  'FAILED: Shopify orders to Snowflake',
  'MISSED RUN: Zendesk tickets to Redshift',
  'STALLED: Segment events to BigQuery',
  'RECOVERED: Zendesk tickets to Redshift',
  'PARTIAL LOAD: NetSuite ledger to BigQuery',
  'RECOVERED: Stripe invoices to Postgres',
];
/** The demo's promise: the whole of it, from the command to its exit, in 20 s. */
const DEMO_LIMIT_MS = 20_000;
const DEMO_TIMEOUT_MS = 45_000;

let redis: Redis;
let slack: SlackReceiver;
const processes: CliProcess[] = [];

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  slack = await startSlackReceiver();
});

afterAll(async () => {
  // Only a demo that failed its test is still running; killed, it cannot delete its keys, so they go here.
  for (const cli of processes) {
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) continue;
    cli.child.kill('SIGKILL');
    const prefix = prefixOf(cli.stdout());
    if (prefix !== undefined) await dropPrefix(redis, prefix);
    const privateRedis = privateRedisOf(cli.stdout());
    if (privateRedis !== undefined && isAlive(privateRedis.pid)) process.kill(privateRedis.pid, 'SIGKILL');
  }
  await slack.close();
  redis.disconnect();
});

function demo(env: Record<string, string>): CliProcess {
  const cli = startCli(['demo'], env);
  processes.push(cli);
  return cli;
}

function keysUnder(prefix: string): Promise<string[]> {
  return redis.keys(`${prefix}*`);
}

function prefixOf(stdout: string): string | undefined {
  return /keys under (\{portable-watch-demo-[0-9a-f]+\})/.exec(stdout)?.[1];
}

function privateRedisOf(stdout: string): { port: number; pid: number } | undefined {
  const match = /private redis-server on 127\.0\.0\.1:(\d+) \(pid (\d+)\)/.exec(stdout);
  return match === null ? undefined : { port: Number(match[1]), pid: Number(match[2]) };
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

function expectTheStory(expect: ExpectStatic, stdout: string): void {
  for (const headline of HEADLINES) expect(occurrences(stdout, headline), headline).toBe(1);
  // Nothing else was alerted: one frame per alert.
  expect(occurrences(stdout, '┌── alert')).toBe(HEADLINES.length);
  expect(stdout.indexOf('MISSED RUN: Zendesk')).toBeLessThan(stdout.indexOf('RECOVERED: Zendesk'));
  expect(stdout).toContain(ORDERS_ERROR);
  expect(stdout).toContain('Schedule:    every 15s, from the config');
  expect(stdout).toContain('journal_entries: 5,000 extracted · 4,812 loaded');
  expect(stdout).toContain(LEDGER_ERROR);
  expect(stdout).not.toContain('HubSpot contacts to Snowflake (flow');
  expect(stdout).toContain('config/flows.example.yaml');
  expect(stdout).toContain('PORTABLE_API_TOKEN');
  expect(stdout).toContain('npx portable-watch start');
  expect(stdout).toContain('npx portable-watch simulate');
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('portable-watch demo, timed', () => {
  it('on the user\'s Redis: the whole story within 20 s, exit 0, its keys deleted', async ({ expect }) => {
    const startedAt = Date.now();
    const cli = demo({ REDIS_URL: testRedisUrl() });
    const prefix = await eventually(() => prefixOf(cli.stdout()), 'the key prefix in the intro', 25_000);
    // The keys are there while it runs, so their absence afterwards means something.
    await eventually(async () => ((await keysUnder(prefix)).length > 0 ? true : undefined), 'the demo keys in Redis', 25_000);
    const code = await cli.exited;
    expect(Date.now() - startedAt).toBeLessThanOrEqual(DEMO_LIMIT_MS);
    expect(code, cli.stderr()).toBe(0);
    expectTheStory(expect, cli.stdout());
    expect(cli.stdout()).toContain("deleted the demo's keys");
    expect(await keysUnder(prefix)).toEqual([]);
  }, DEMO_TIMEOUT_MS);
});

describe.concurrent('portable-watch demo', () => {
  it('without a Redis answering, starts a private redis-server from PATH and stops it afterwards', async ({ expect }) => {
    const cli = demo({ REDIS_URL: `redis://127.0.0.1:${await unusedPort()}` });
    const { port, pid } = await eventually(() => privateRedisOf(cli.stdout()), 'the private Redis', 25_000);
    expect(isAlive(pid)).toBe(true);
    expect(await isListening(port)).toBe(true);
    const code = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
    expectTheStory(expect, cli.stdout());
    expect(isAlive(pid)).toBe(false);
    expect(await isListening(port)).toBe(false);
  }, DEMO_TIMEOUT_MS);

  it('with no Redis and no redis-server on PATH, exits 1 saying how to get one', async ({ expect }) => {
    const result = await runCli(['demo'], { REDIS_URL: `redis://127.0.0.1:${await unusedPort()}`, PATH: dirname(process.execPath) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs a Redis');
    expect(result.stderr).toContain('no redis-server on PATH');
    expect(result.stderr).toContain('apt install redis-server');
    expect(result.stderr).toContain('brew install redis');
    expect(result.stderr).toContain('docker run --rm -p 6379:6379 redis:7');
    expect(result.stdout).not.toContain('ALERT');
  });

  it('with SLACK_WEBHOOK_URL set, posts the same alerts to Slack', async ({ expect }) => {
    const cli = demo({ REDIS_URL: testRedisUrl(), SLACK_WEBHOOK_URL: slack.url('/services/T0/B0/demo-hook') });
    const code = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
    expect(cli.stdout()).toContain(`Slack: all ${HEADLINES.length} alerts were posted`);
    const texts = slack.posts.filter((post) => post.path === '/services/T0/B0/demo-hook').map((post) => (post.body as { text: string }).text);
    expect(texts).toHaveLength(HEADLINES.length);
    for (const headline of HEADLINES) expect(texts.filter((text) => text.includes(headline)), headline).toHaveLength(1);
    expect(cli.stdout() + cli.stderr()).not.toContain('demo-hook');
  }, DEMO_TIMEOUT_MS);

  it('serves the status page while the story runs, and with --keep after it until Ctrl-C', async ({ expect }) => {
    const cli = startCli(['demo', '--keep'], { REDIS_URL: testRedisUrl(), HTTP_PORT: '0' });
    processes.push(cli);
    const url = await eventually(() => /The status page: (http:\/\/\S+\/) /.exec(cli.stdout())?.[1], 'the page address', 25_000);
    const during = await eventually(async () => {
      const body = await (await fetch(url)).text();
      return body.includes('Shopify orders to Snowflake') ? body : undefined;
    }, 'the page listing the demo flows', 25_000);
    expect(occurrences(during, 'data-flow="')).toBe(6);
    await eventually(() => (cli.stdout().includes('press Ctrl-C to stop') ? true : undefined), 'the story told', DEMO_TIMEOUT_MS - 15_000);
    expectTheStory(expect, cli.stdout());
    // After the story the page is still there, with the story's failures at the top (a page answers from the last
    // read, a few seconds old, and reads again: the next answers catch up).
    const after = await eventually(async () => {
      const body = await (await fetch(url)).text();
      return body.includes('data-state="failing"') ? body : undefined;
    }, 'the story\'s failure on the page', 15_000);
    expect(after.indexOf('data-state="failing"')).toBeLessThan(after.indexOf('data-state="ok"'));
    const prefix = prefixOf(cli.stdout()) ?? 'missing prefix';
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(await keysUnder(prefix)).toEqual([]);
    await expect(fetch(url)).rejects.toThrow();
  }, DEMO_TIMEOUT_MS);

  it('Ctrl-C in the middle stops it within seconds, exit 130, its keys deleted', async ({ expect }) => {
    const cli = demo({ REDIS_URL: testRedisUrl() });
    await eventually(() => (cli.stdout().includes('a run starts') ? true : undefined), 'the story under way', 25_000);
    const prefix = prefixOf(cli.stdout()) ?? 'missing prefix';
    const interruptedAt = Date.now();
    cli.child.kill('SIGINT');
    const code = await cli.exited;
    expect(code).toBe(130);
    expect(Date.now() - interruptedAt).toBeLessThan(10_000);
    expect(cli.stdout()).toContain('Interrupted');
    expect(cli.stdout()).not.toContain('That was the story');
    expect(await keysUnder(prefix)).toEqual([]);
  }, DEMO_TIMEOUT_MS);
});
