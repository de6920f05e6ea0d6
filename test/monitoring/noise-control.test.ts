import type http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { headerOf } from '../notifiers/slack-receiver.ts';
import { eventually, testRedisUrl } from '../support/redis.ts';
import { runCli } from '../support/run-cli.ts';
import { startHarness, WEBHOOK_PATH, type Harness } from '../support/watch-harness.ts';

/**
 * Issue 12 on real parts: the simulator over HTTP, a Slack receiver over HTTP (rate limited like Slack where it
 * matters), real Redis, the real watch service (two of them, and a restart, where exactly-once is the point), and
 * real CLI processes for `silence`.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Ended holds and due digests are looked at this often in these tests (2 s in production). */
const FAST = { dispatchEveryMs: 200 };

let harness: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Slack's limit on one webhook: a bucket of `burst` tokens refilled at one per second; an empty bucket answers 429. */
function rateLimited(burst: number) {
  let tokens = burst;
  let filledAt = Date.now();
  const refused: number[] = [];
  const responder = (_request: http.IncomingMessage, response: http.ServerResponse) => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + (now - filledAt) / 1000);
    filledAt = now;
    if (tokens < 1) {
      refused.push(now);
      response.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' }).end('rate_limited');
      return;
    }
    tokens -= 1;
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  };
  return { responder, refused };
}

async function firstChecksDone(h: Harness, flowIds: readonly number[], timeoutMs = 30 * SECOND) {
  await eventually(
    async () => {
      const pipeline = h.redis.pipeline();
      for (const id of flowIds) pipeline.hget(`${h.prefix}:flow:${id}:state`, 'state');
      const states = (await pipeline.exec()) ?? [];
      return states.every(([, raw]) => typeof raw === 'string' && (JSON.parse(raw) as { checkpoint: number | null }).checkpoint !== null) ? true : undefined;
    },
    'every flow checked once',
    timeoutMs,
  );
}

/** The flows a post names (`Flow 7012`) and the ones its digest counts ("and 58 more"). */
function accountFor(h: Harness, accepted: (index: number) => boolean) {
  const named = new Map<number, number>();
  let counted = 0;
  h.slack.posts.forEach((post, index) => {
    if (!accepted(index)) return;
    const text = JSON.stringify(post.body);
    for (const id of new Set([...text.matchAll(/Storm flow (\d+)/g)].map((match) => Number(match[1])))) named.set(id, (named.get(id) ?? 0) + 1);
    const more = [...text.matchAll(/and ([\d,]+) more/g)].map((match) => Number(match[1]?.replaceAll(',', '')));
    counted += more.length === 0 ? 0 : Math.max(...more);
  });
  return { named, counted };
}

describe('storms become digests', () => {
  it('300 flows failing within seconds reach a rate-limited Slack as a few messages, every failure named or counted once, no 429, through a restart and two workers', async () => {
    const ids = Array.from({ length: 300 }, (_, index) => 7001 + index);
    const flows = ids.map((id) => `  - { id: ${id}, name: Storm flow ${id} }`).join('\n');
    const h = (harness = await startHarness(flows, 'pollEvery: 2s\n  maxRuntime: 1h\n  backfill: 1h\n  detect: [failed]', { oncall: 'groupInterval: 10s' }));
    const limit = rateLimited(5);
    h.slack.respondWith(limit.responder);
    for (const id of ids) h.simulator.addFlow({ id });
    const first = await h.startService(undefined, FAST);
    await h.startService(undefined, FAST);
    await firstChecksDone(h, ids);

    const startedAt = Date.now();
    for (const id of ids) h.simulator.addAttempt(id, { state: 'failed', errors: [`Snowflake: warehouse PROD_WH is suspended (flow ${id})`] });
    // Half-way through the storm one replica stops and another starts: nothing gathered is lost or sent twice.
    await sleep(3 * SECOND);
    await first.close(1_000);
    await h.startService(undefined, FAST);

    await eventually(() => {
      const { named, counted } = accountFor(h, () => true);
      return named.size + counted >= ids.length ? true : undefined;
    }, 'every failure named or counted', 60 * SECOND);
    await sleep(3 * SECOND);
    const { named, counted } = accountFor(h, () => true);
    expect([...named.values()].every((times) => times === 1)).toBe(true);
    expect(named.size + counted).toBe(ids.length);
    expect(limit.refused).toEqual([]);
    expect(h.slack.posts.length).toBeLessThanOrEqual(8);
    expect(Date.now() - startedAt).toBeLessThan(2 * MINUTE);
    // The first five went out on their own, the rest as a digest that counts them by kind.
    expect(h.posts().slice(0, 5).every((header) => header.startsWith('FAILED: Storm flow'))).toBe(true);
    const digest = JSON.stringify(h.slack.posts[5]?.body);
    expect(digest).toContain('295 alerts');
    expect(digest).toContain('portable-watch status');
  }, 120_000);
});

describe('reminders and thresholds', () => {
  it('reminds once per repeatEvery while a flow keeps failing, with the count of failed attempts, and stops at its recovery', async () => {
    // One clock, for the worker and for Portable, moved forward to stand for hours passing.
    let offset = 0;
    const h = (harness = await startHarness('  - { id: 7401, name: Nightly orders }', 'pollEvery: 1s\n  maxRuntime: 1h\n  backfill: 1h\n  repeatEvery: 4h', { now: () => Date.now() + offset }));
    h.simulator.addFlow({ id: 7401 });
    await h.startService(undefined, FAST);
    await h.startService(undefined, FAST);
    await firstChecksDone(h, [7401]);
    h.simulator.addAttempt(7401, { state: 'failed', errors: ['Shopify: 401 Unauthorized'] });
    await eventually(() => (h.posts().length === 1 ? true : undefined), 'the failure');
    h.simulator.addAttempt(7401, { state: 'failed', errors: ['Shopify: 401 Unauthorized'] });
    await sleep(2 * SECOND);
    expect(h.posts()).toEqual(['FAILED: Nightly orders', 'FAILED: Nightly orders']);

    offset = 4 * HOUR + SECOND;
    await eventually(() => (h.posts().length === 3 ? true : undefined), 'the reminder');
    await sleep(2 * SECOND);
    expect(h.posts()[2]).toBe('STILL FAILING: Nightly orders');
    expect(JSON.stringify(h.slack.posts[2]?.body)).toContain('2 attempts failed since');
    expect(h.posts()).toHaveLength(3);

    h.simulator.addAttempt(7401, { state: 'succeeded' });
    await eventually(() => (h.posts().length === 4 ? true : undefined), 'the recovery');
    offset = 9 * HOUR;
    await sleep(2 * SECOND);
    expect(h.posts()).toEqual(['FAILED: Nightly orders', 'FAILED: Nightly orders', 'STILL FAILING: Nightly orders', 'RECOVERED: Nightly orders']);
  }, 60_000);

  it('alertAfter: 3 keeps a flaky flow quiet until three attempts in a row failed, and announces a recovery only after an alert', async () => {
    const h = (harness = await startHarness('  - { id: 7402, name: Flaky ads, alertAfter: 3 }'));
    h.simulator.addFlow({ id: 7402 });
    const first = await h.startService(undefined, FAST);
    await h.startService(undefined, FAST);
    await firstChecksDone(h, [7402]);
    const run = async (state: 'failed' | 'succeeded') => {
      h.simulator.addAttempt(7402, { state, ...(state === 'failed' ? { errors: ['Google Ads: quota exceeded'] } : {}) });
      await sleep(1_500);
    };
    await run('failed');
    await run('failed');
    await run('succeeded');
    expect(h.posts()).toEqual([]);
    await run('failed');
    await run('failed');
    expect(h.posts()).toEqual([]);
    // A replica restarts between the second failure in a row and the third: the count lives in Redis.
    await first.close(1_000);
    await h.startService(undefined, FAST);
    await run('failed');
    await eventually(() => (h.posts().length === 1 ? true : undefined), 'the third failure in a row');
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain('3 times in a row');
    await run('succeeded');
    await eventually(() => (h.posts().length === 2 ? true : undefined), 'the recovery');
    expect(h.posts()).toEqual(['FAILED: Flaky ads', 'RECOVERED: Flaky ads']);
  }, 60_000);
});

describe('silences', () => {
  it('holds a silenced failure (status shows it), sends it once when the silence ends with the flow still failing, and forgets one that recovered meanwhile', async () => {
    const flows = '  - { id: 7501, name: Warehouse loads, labels: { team: data } }\n  - { id: 7502, name: Billing sync, labels: { team: data } }';
    const h = (harness = await startHarness(flows));
    h.simulator.addFlow({ id: 7501 });
    h.simulator.addFlow({ id: 7502 });
    dir = await mkdtemp(join(tmpdir(), 'pw-noise-'));
    const configPath = join(dir, 'flows.yaml');
    await writeFile(configPath, h.configText(flows));
    const cli = (args: string[]) => runCli(args, { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: h.prefix, CONFIG_PATH: configPath });
    // Two replicas: the hold, the release and the one alert at the end must not depend on which one sends.
    await h.startService(undefined, FAST);
    await h.startService(undefined, FAST);
    await firstChecksDone(h, [7501, 7502]);

    const added = await cli(['silence', 'add', '--label', 'team=data', '--kind', 'failed', '--for', '8s', '--reason', 'warehouse migration']);
    expect(added.code).toBe(0);
    const id = added.stdout.trim();
    expect(id).toMatch(/^s-[0-9a-f]{8}$/);
    h.simulator.addAttempt(7501, { state: 'failed', errors: ['Snowflake: warehouse suspended'] });
    h.simulator.addAttempt(7502, { state: 'failed', errors: ['Snowflake: warehouse suspended'] });
    await eventually(async () => ((await h.redis.hlen(`${h.prefix}:held`)) === 2 ? true : undefined), 'both failures held');
    const status = await cli(['status', '--json']);
    const held = (JSON.parse(status.stdout) as { flows: Array<{ id: number; held: Array<{ heldBy: string }> }> }).flows.find((flow) => flow.id === 7501)?.held;
    expect(held?.[0]?.heldBy).toContain(id);
    // One flow recovers while silenced: nothing about it is news when the silence ends.
    h.simulator.addAttempt(7502, { state: 'succeeded' });
    await sleep(2 * SECOND);
    expect(h.posts()).toEqual([]);

    await eventually(() => (h.posts().length === 1 ? true : undefined), 'the one alert at the end of the silence', 15 * SECOND);
    await sleep(2 * SECOND);
    expect(h.posts()).toEqual(['FAILED: Warehouse loads']);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain(`silence ${id}`);
    expect(await h.redis.hlen(`${h.prefix}:held`)).toBe(0);
    expect((await cli(['silence', 'list', '--json'])).stdout.trim()).toBe('[]');
  }, 60_000);
});

describe('maintenance windows', () => {
  it('does not count the time a run spends inside a window towards maxRuntime, and alerts the stall once the window is over', async () => {
    const now = Date.now();
    // A window that opened 40 minutes ago and ends 12 seconds from now (a 6-field cron: seconds first).
    const opened = new Date(now - 40 * MINUTE);
    const cron = `${opened.getUTCSeconds()} ${opened.getUTCMinutes()} ${opened.getUTCHours()} * * *`;
    const endsAt = opened.getTime() + 40 * MINUTE + 12 * SECOND;
    const sections = `maintenance:\n  - { name: warehouse upgrade, cron: "${cron}", duration: ${40 * 60 + 12}s, timezone: UTC, flows: { labels: { warehouse: snowflake } } }`;
    const flows = '  - { id: 7601, name: Events to Snowflake, maxRuntime: 15m, labels: { warehouse: snowflake } }\n  - { id: 7602, name: Events to BigQuery, maxRuntime: 15m }';
    const h = (harness = await startHarness(flows, undefined, { sections }));
    h.simulator.addFlow({ id: 7601 });
    h.simulator.addFlow({ id: 7602 });
    // Both have been running for 54m50s: 14m50s of it outside the window for the Snowflake flow.
    h.simulator.addAttempt(7601, { state: 'running', createdAt: now - 54 * MINUTE - 50 * SECOND });
    h.simulator.addAttempt(7602, { state: 'running', createdAt: now - 54 * MINUTE - 50 * SECOND });
    await h.startService(undefined, FAST);
    await h.startService(undefined, FAST);

    await eventually(() => (h.posts().length === 1 ? true : undefined), 'the stall outside the window');
    expect(h.posts()).toEqual(['STALLED: Events to BigQuery']);
    await sleep(Math.max(0, endsAt - Date.now() - SECOND));
    expect(h.posts()).toEqual(['STALLED: Events to BigQuery']);
    const [, second] = await eventually(() => (h.posts().length === 2 ? h.posts() : undefined), 'the stall once the window is over', 30 * SECOND);
    expect(second).toBe('STALLED: Events to Snowflake');
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt + 10 * SECOND);
    await sleep(2 * SECOND);
    expect(h.posts()).toHaveLength(2);
  }, 60_000);
});

describe('routes', () => {
  it('sends each alert to every matching route while they say continue, then stops, plus the flow\'s own notify, each with its severity', async () => {
    const notifiers = (url: (path: string) => string) =>
      ['pager', 'growth', 'never'].map((name) => `  ${name}: { type: slack, webhookUrl: "${url(`/${name}`)}" }`).join('\n');
    const routes = [
      'routes:',
      '  - { match: { tier: critical }, kinds: [failed, stalled], notify: [pager], continue: true, severity: critical }',
      '  - { match: { team: growth }, notify: [growth] }',
      '  - { match: { team: growth }, notify: [never] }',
    ].join('\n');
    const flows = '  - { id: 7701, name: Signups, labels: { team: growth, tier: critical } }';
    const h = (harness = await startHarness(flows, undefined, { notifiers, sections: routes }));
    h.simulator.addFlow({ id: 7701 });
    await h.startService(undefined, FAST);
    await h.startService(undefined, FAST);
    await firstChecksDone(h, [7701]);
    h.simulator.addAttempt(7701, { state: 'failed', errors: ['Stripe: invalid API key'] });
    await eventually(() => (h.slack.posts.length >= 3 ? true : undefined), 'the failure at each destination');
    await sleep(2 * SECOND);
    const byPath = h.slack.posts.map((post) => [post.path, headerOf(post.body)]).sort();
    expect(byPath).toEqual([[WEBHOOK_PATH, 'FAILED: Signups'], ['/growth', 'FAILED: Signups'], ['/pager', 'FAILED: Signups']].sort());
  }, 60_000);
});
