import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTIFICATION_QUEUE } from '../../src/delivery/notification-queue.ts';
import { answer, startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { eventually, testRedisUrl } from '../support/redis.ts';
import { runCli, startProcess } from '../support/run-cli.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * `portable-watch status` as a user runs it: a real worker checks real (simulated) flows into a real Redis and
 * alerts a real Slack receiver; then the CLI, a separate process, reads it back.
 */

const HEADERS = ['ID', 'NAME', 'LAST CHECK', 'CHECKPOINT', 'NEXT CHECK', 'OPEN INCIDENT', 'LAST ALERT'] as const;
type Row = Record<(typeof HEADERS)[number], string>;

let harness: Harness | undefined;
let teamSlack: SlackReceiver | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-status-'));
});

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await teamSlack?.close();
  teamSlack = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** The CLI's config: the worker's flows plus 303, which no worker was ever started with. */
async function writeCliConfig(flows: string): Promise<string> {
  const path = join(dir, 'flows.yaml');
  const notifier = ['notifiers:', '  terminal: { type: console }', 'defaults:', '  notify: [terminal]'];
  await writeFile(path, ['portable:', '  token: ${PORTABLE_API_TOKEN}', ...notifier, 'flows:', flows].join('\n'));
  return path;
}

function status(h: Harness, configPath: string, ...args: string[]) {
  return runCli(['status', '--config', configPath, ...args], { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: h.prefix, PORTABLE_API_TOKEN: 'unused-by-status' });
}

/** Cuts the table into cells at the header's column starts. */
function tableRows(stdout: string): Map<string, Row> {
  const lines = stdout.split('\n');
  const headerAt = lines.findIndex((line) => line.startsWith('ID  '));
  const header = lines[headerAt] ?? '';
  const starts = HEADERS.map((name) => header.indexOf(name));
  const rows = new Map<string, Row>();
  for (const line of lines.slice(headerAt + 1)) {
    if (line.trim() === '') break;
    const cells = HEADERS.map((_, index) => line.slice(starts[index], starts[index + 1]).trim());
    rows.set(cells[0] ?? '', Object.fromEntries(HEADERS.map((name, index) => [name, cells[index] ?? ''])) as Row);
  }
  return rows;
}

/** Every key under the prefix with its serialized value: equal snapshots mean nothing was written. */
async function snapshot(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  keys.sort();
  const values = await Promise.all(keys.map(async (key) => (await redis.dumpBuffer(key))?.toString('hex') ?? 'gone'));
  return new Map(keys.map((key, index) => [key, values[index] ?? 'gone']));
}

/**
 * What a read-only status may send about our keys; scripts count by the commands they run, listed separately. The
 * list and sorted-set reads are BullMQ's getJobs, reading the notifications queue for unsent alerts.
 */
const READ_COMMANDS = new Set(['hget', 'hgetall', 'smembers', 'zscore', 'evalsha', 'eval', 'zrange', 'zrevrange', 'zcard', 'lrange', 'llen', 'lindex']);

/** Names of the commands, script-run ones included, that mention a key under the prefix (Redis MONITOR). */
async function watchCommands(redis: Redis, prefix: string): Promise<{ stop(): Promise<string[]> }> {
  const monitor = await redis.monitor();
  const seen: string[] = [];
  const endMarker = `${prefix}:status-test-end`;
  let ended = false;
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.includes(endMarker)) ended = true;
    else if (args.some((arg) => arg.includes(prefix))) seen.push((args[0] ?? '').toLowerCase());
  });
  return {
    async stop() {
      // MONITOR output trails the commands: wait until it shows one sent after the CLI ended.
      await redis.exists(endMarker);
      await eventually(() => (ended ? true : undefined), 'the monitor to catch up');
      monitor.disconnect();
      return seen;
    },
  };
}

interface JsonFlow {
  id: number;
  name: string | null;
  lastCheck: { at: { ms: number; iso: string }; outcome: string } | null;
  checkpoint: { ms: number; iso: string } | null;
  scheduled: boolean;
  nextCheck: { ms: number; iso: string } | null;
  incident: { kind: string; since: { ms: number; iso: string }; attemptId: number } | null;
  lastFailure: { attemptId: number; at: { ms: number; iso: string } } | null;
  monitor: { problem: string; alerted: boolean } | null;
  lastAlert: { kind: string; notifier: string; at: { ms: number; iso: string } } | null;
  unsentAlerts: Array<{ notifier: string; waiting: number; retrying: number; givenUp: number }>;
  recentAttempts: Array<{ attemptId: number; outcome: string; createdAt: { ms: number; iso: string }; durationMs: number | null }>;
}
interface JsonStatus {
  generatedAt: { ms: number; iso: string };
  openIncidents: number;
  account: { problem: string; alerted: boolean } | null;
  flows: JsonFlow[];
}

const AGO = /^(now|\d+s ago)$/;

/**
 * Schedules that fire at most daily (at a per-flow offset in the day): each flow gets its first check when the
 * service starts and the scheduled one is hours away, so nothing moves in Redis while the CLI looks, and NEXT CHECK is in the future.
 */
const DAILY = 'pollEvery: 1d\n  maxRuntime: 1h\n  backfill: 1h';

describe('portable-watch status', () => {
  it('shows what real checks recorded — failed, stalled, monitor error, never checked — reads only, and says the same in JSON', async () => {
    const workerFlows = ['  - { id: 301, name: Events to Snowflake }', '  - { id: 302, maxRuntime: 1m }', '  - { id: 304, name: Gone }'];
    const h = (harness = await startHarness(workerFlows.join('\n'), DAILY));
    h.simulator.addFlow({ id: 301, displayName: 'events' });
    h.simulator.addFlow({ id: 302, displayName: 'Orders' });
    const failedAttempt = h.simulator.addAttempt(301, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });
    h.simulator.addAttempt(302, { state: 'running', createdAt: Date.now() - 5 * 60_000 });
    // Each flow's first check runs as soon as the service starts (queued by the reconciliation); nothing else runs.
    const service = await h.startService();
    await eventually(() => (h.slack.posts.length >= 3 ? true : undefined), 'three alerts', 15_000);
    const lastAlertKeys = [301, 302, 304].map((id) => `${h.prefix}:flow:${id}:last-alert`);
    await eventually(async () => ((await Promise.all(lastAlertKeys.map((key) => h.redis.exists(key)))).every((found) => found === 1) ? true : undefined), 'delivery records');
    await service.close(1_000);
    expect([...h.posts()].sort()).toEqual(['FAILED: Events to Snowflake', 'MONITOR ERROR: Gone', 'STALLED: Orders']);

    const configPath = await writeCliConfig([...workerFlows, '  - { id: 303 }'].join('\n'));
    const before = await snapshot(h.redis, h.prefix);
    const commands = await watchCommands(h.redis, h.prefix);
    const table = await status(h, configPath);
    const json = await status(h, configPath, '--json');
    const strict = await status(h, configPath, '--fail-on-incident');
    expect((await commands.stop()).filter((name) => !READ_COMMANDS.has(name))).toEqual([]);
    expect(await snapshot(h.redis, h.prefix)).toEqual(before);

    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(strict.code).toBe(2);
    expect(table.stdout).not.toContain('ACCOUNT');
    const rows = tableRows(table.stdout);
    expect([...rows.keys()]).toEqual(['301', '302', '304', '303']);
    const events = rows.get('301');
    expect(events).toMatchObject({ NAME: 'Events to Snowflake', 'OPEN INCIDENT': expect.stringMatching(/^failed (now|\d+s ago)$/) as string });
    expect(events?.['LAST CHECK']).toMatch(/^alerted (now|\d+s ago)$/);
    expect(events?.CHECKPOINT).toMatch(AGO);
    expect(events?.['NEXT CHECK']).toMatch(/^in \d+[smh]$/);
    expect(events?.['LAST ALERT']).toMatch(/^failed (now|\d+s ago)$/);
    // No config name: the displayName Portable gave when the alert needed one.
    expect(rows.get('302')).toMatchObject({ NAME: 'Orders', 'OPEN INCIDENT': expect.stringMatching(/^stalled /) as string, 'LAST ALERT': expect.stringMatching(/^stalled /) as string });
    expect(rows.get('304')).toMatchObject({
      'LAST CHECK': expect.stringMatching(/^error /) as string,
      CHECKPOINT: '—',
      'OPEN INCIDENT': expect.stringMatching(/^monitor: not-found /) as string,
      'LAST ALERT': expect.stringMatching(/^monitor-error /) as string,
    });
    expect(rows.get('303')).toEqual({ ID: '303', NAME: '—', 'LAST CHECK': 'never', CHECKPOINT: '—', 'NEXT CHECK': 'not scheduled', 'OPEN INCIDENT': '—', 'LAST ALERT': '—' });
    expect(table.stdout).toContain('4 flows, 3 open incidents, 1 never checked, 1 not scheduled');
    for (const line of table.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(120);

    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as JsonStatus;
    expect(parsed.openIncidents).toBe(3);
    expect(parsed.account).toBeNull();
    const [jsonEvents, jsonOrders, jsonGone, jsonNever] = parsed.flows;
    expect(jsonEvents).toMatchObject({
      id: 301,
      name: 'Events to Snowflake',
      lastCheck: { outcome: 'alerted' },
      scheduled: true,
      incident: { kind: 'failed', attemptId: failedAttempt.id },
      monitor: null,
      lastAlert: { kind: 'failed', notifier: 'oncall' },
    });
    const now = parsed.generatedAt.ms;
    const next = jsonEvents?.nextCheck?.ms ?? 0;
    expect(next).toBeGreaterThan(now);
    expect(next).toBeLessThanOrEqual(now + 24 * 3_600_000);
    expect(jsonEvents?.nextCheck?.iso).toBe(new Date(next).toISOString());
    expect(Number(await h.redis.hget(lastAlertKeys[0] ?? '', 'at'))).toBe(jsonEvents?.lastAlert?.at.ms);
    expect(jsonOrders).toMatchObject({ id: 302, name: 'Orders', incident: { kind: 'stalled' }, lastAlert: { kind: 'stalled' } });
    // The strip of the last attempts: the failed one, to the second; a run still running is not in it yet.
    expect(jsonEvents?.recentAttempts).toEqual([
      { attemptId: failedAttempt.id, outcome: 'failed', createdAt: expect.objectContaining({ ms: Math.floor(failedAttempt.createdAt / 1000) * 1000 }) as unknown, durationMs: expect.any(Number) as unknown },
    ]);
    expect(jsonOrders?.recentAttempts).toEqual([]);
    expect(jsonGone).toMatchObject({ id: 304, name: 'Gone', checkpoint: null, incident: null, monitor: { problem: 'not-found', alerted: true }, lastAlert: { kind: 'monitor-error' } });
    expect(jsonNever).toEqual({
      id: 303,
      account: 'default',
      name: null,
      lastCheck: null,
      checkpoint: null,
      scheduled: false,
      nextCheck: null,
      incident: null,
      lastFailure: null,
      monitor: null,
      missed: null,
      partial: null,
      volume: null,
      lastRun: null,
      lastAlert: null,
      unsentAlerts: [],
      held: [],
      inDigest: [],
      recentAttempts: [],
    });
  }, 40_000);

  it('a quiet first start: only what is wrong now is alerted, and a failure that had recovered still shows', async () => {
    const flows = ['  - { id: 311, name: Invoices }', '  - { id: 312, name: Orders }'];
    const h = (harness = await startHarness(flows.join('\n'), DAILY));
    h.simulator.addFlow({ id: 311 });
    h.simulator.addFlow({ id: 312 });
    const ago = (minutes: number) => Date.now() - minutes * 60_000;
    // Invoices failed twice and has run well since; Orders failed, succeeded, then failed twice and is failing now.
    h.simulator.addAttempt(311, { state: 'failed', errors: ['old news'], createdAt: ago(50), completedAt: ago(49) });
    const recoveredFrom = h.simulator.addAttempt(311, { state: 'failed', errors: ['old news'], createdAt: ago(40), completedAt: ago(39) });
    h.simulator.addAttempt(311, { state: 'succeeded', createdAt: ago(30), completedAt: ago(29) });
    h.simulator.addAttempt(312, { state: 'failed', errors: ['old news'], createdAt: ago(50), completedAt: ago(49) });
    h.simulator.addAttempt(312, { state: 'succeeded', createdAt: ago(40), completedAt: ago(39) });
    h.simulator.addAttempt(312, { state: 'failed', errors: ['still failing'], createdAt: ago(30), completedAt: ago(29) });
    const failingNow = h.simulator.addAttempt(312, { state: 'failed', errors: ['failing now'], createdAt: ago(20), completedAt: ago(19) });
    const service = await h.startService();
    await eventually(async () => ((await h.redis.exists(`${h.prefix}:flow:312:last-alert`)) === 1 ? true : undefined), 'the delivery record');
    await eventually(async () => ((await h.redis.hget(`${h.prefix}:flow:311:state`, 'state')) === null ? undefined : true), "Invoices' first check");
    await service.close(1_000);
    expect(h.posts()).toEqual(['FAILED: Orders']);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain(`Attempt ${failingNow.id} of Orders failed`);

    const configPath = await writeCliConfig(flows.join('\n'));
    const rows = tableRows((await status(h, configPath)).stdout);
    expect(rows.get('311')).toMatchObject({ 'LAST CHECK': expect.stringMatching(/^ok /) as string, 'OPEN INCIDENT': '— (last failed 39m ago)', 'LAST ALERT': '—' });
    expect(rows.get('312')?.['OPEN INCIDENT']).toMatch(/^failed 19m ago$/);
    const [invoices, orders] = (JSON.parse((await status(h, configPath, '--json')).stdout) as JsonStatus).flows;
    expect(invoices).toMatchObject({ incident: null, lastFailure: { attemptId: recoveredFrom.id }, lastAlert: null });
    expect(orders).toMatchObject({ incident: { kind: 'failed', attemptId: failingNow.id }, lastFailure: { attemptId: failingNow.id } });
  }, 30_000);

  it('shows an account-wide incident (a rejected token) above the table', async () => {
    const h = (harness = await startHarness('  - { id: 401, name: Events }', DAILY));
    h.simulator.addFlow({ id: 401 });
    h.simulator.setToken('rotated-token');
    const service = await h.startService();
    await service.checkNow('401');
    await eventually(() => (h.slack.posts.length >= 1 ? true : undefined), 'the account alert', 15_000);
    await eventually(async () => ((await h.redis.exists(`${h.prefix}:flow:401:last-alert`)) === 1 ? true : undefined), 'the delivery record');
    await service.close(1_000);

    const configPath = await writeCliConfig('  - { id: 401, name: Events }');
    const table = await status(h, configPath, '--fail-on-incident');
    expect(table.code).toBe(2);
    const [first, ...message] = table.stdout.split('\n\n')[0]?.split('\n') ?? [];
    expect(first).toMatch(/^ACCOUNT: monitor: unauthorized (now|\d+s ago) — no flow can be checked until it is fixed:$/);
    // Portable's whole message, which says what to do, on indented lines.
    expect(message.map((line) => line.trim()).join(' ')).toMatch(/^Portable rejected the API token \(401\) for .*: check PORTABLE_API_TOKEN/);
    // The flow's own state has no incident: the token is the account's problem, alerted once for all flows.
    expect(tableRows(table.stdout).get('401')).toMatchObject({ 'LAST CHECK': expect.stringMatching(/^error /) as string, 'OPEN INCIDENT': '—' });
    const parsed = JSON.parse((await status(h, configPath, '--json')).stdout) as JsonStatus;
    expect(parsed.account).toMatchObject({ problem: 'unauthorized', alerted: true });
    expect(parsed.openIncidents).toBe(1);
  }, 30_000);

  it('names only host and port of a Redis it cannot reach, never the password', async () => {
    const port = await closedPort();
    const configPath = await writeCliConfig('  - { id: 1 }');
    const result = await runCli(['status', '--config', configPath], { REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${port}`, PORTABLE_API_TOKEN: 'x' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`portable-watch: cannot reach Redis at 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): start one, or set REDIS_URL`);
    expect(result.stdout + result.stderr).not.toContain('s3cret-pw');
  });

  it('explains a mistyped option with the usage, and a bad config as validate does', async () => {
    const configPath = await writeCliConfig('  - { id: 1, maxRunTime: 5m }');
    const typo = await runCli(['status', '--jsn', '--config', configPath], { PORTABLE_API_TOKEN: 'x' });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("Unknown option '--jsn'");
    expect(typo.stderr).toContain('Usage: portable-watch status');
    const invalid = await runCli(['status', '--config', configPath], { PORTABLE_API_TOKEN: 'x' });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('flows[0].maxRunTime: unknown key (did you mean "maxRuntime"?)');
  });
});

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** `portable-watch ARGS` in a shell that has Redis and nothing else: none of the variables the config refers to. */
async function runWithoutSecrets(h: Harness, args: string[]) {
  const cli = startProcess([process.execPath, CLI, ...args], { env: { PATH: process.env.PATH ?? '', REDIS_URL: testRedisUrl(), QUEUE_PREFIX: h.prefix } });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Resolves once the notifications queue holds exactly these counts. */
async function queueReaches(h: Harness, counts: { failed: number; delayed: number }, what: string): Promise<void> {
  const queue = new Queue(NOTIFICATION_QUEUE, { connection: h.redis, prefix: h.prefix, skipMetasUpdate: true });
  try {
    await eventually(async () => {
      const found = await queue.getJobCounts('failed', 'delayed');
      return found.failed === counts.failed && found.delayed === counts.delayed ? true : undefined;
    }, what, 15_000);
  } finally {
    await queue.close();
  }
}

describe('portable-watch status: unsent alerts', () => {
  it('shows per notifier what is retrying and given up, under its flow and for the account, with every secret unset', async () => {
    const team = (teamSlack = await startSlackReceiver());
    team.respondWith(answer(503, 'service_unavailable'));
    const flows = ['  - { id: 501, name: Events, notify: [oncall, team] }', '  - { id: 502, name: Orders, notify: [oncall, team] }'].join('\n');
    const h = (harness = await startHarness(flows, DAILY, { notifiers: `  team: { type: slack, webhookUrl: "${team.url('/services/T9/B9/team-secret')}" }` }));
    // oncall's webhook was revoked (given up at once); team's Slack is down (retried, after a long backoff here).
    h.slack.respondWith(answer(404, 'no_service'));
    h.simulator.addFlow({ id: 501 });
    h.simulator.addFlow({ id: 502 });
    h.simulator.addAttempt(501, { state: 'failed', errors: ['Failed to connect to the source'], createdAt: Date.now() - 60_000 });
    const service = await h.startService(undefined, { deliveryBackoff: () => 10 * 60_000 });
    await queueReaches(h, { failed: 1, delayed: 1 }, 'the failed alert to give up for oncall and retry for team');
    h.simulator.setToken('rotated-token');
    await service.checkNow('502');
    await queueReaches(h, { failed: 2, delayed: 2 }, 'the account alert to do the same');
    await service.close(1_000);

    const configPath = join(dir, 'flows.yaml');
    const config = [
      'portable: { token: "${PORTABLE_API_TOKEN}" }',
      'notifiers:',
      '  oncall: { type: slack, webhookUrl: "${SLACK_WEBHOOK_URL}" }',
      '  team: { type: slack, webhookUrl: "${TEAM_WEBHOOK_URL}" }',
      '  mail: { type: email, to: [data@example.com] }',
      'email: { smtpUrl: "${SMTP_URL}", from: alerts@example.com }',
      'defaults: { notify: [oncall, team, mail] }',
      'flows:',
      flows,
    ].join('\n');
    await writeFile(configPath, config);
    // The same shell cannot validate the file: the secrets really are missing.
    expect((await runWithoutSecrets(h, ['validate', '--config', configPath])).code).toBe(1);

    const table = await runWithoutSecrets(h, ['status', '--config', configPath]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    const events = lines.findIndex((line) => line.startsWith('501 '));
    expect(lines[events + 1]).toBe('     unsent — oncall: 1 given up; team: 1 retrying');
    const orders = lines.findIndex((line) => line.startsWith('502 '));
    expect(lines[orders + 1]).toBe('');
    expect(lines.slice(orders + 2, orders + 4)).toEqual(['Unsent alerts about no flow above:', '  account-wide — oncall: 1 given up; team: 1 retrying']);
    expect(table.stdout).toContain('\n4 alerts not sent yet (2 given up, 2 retrying): portable-watch alerts shows why\n');

    const json = await runWithoutSecrets(h, ['status', '--config', configPath, '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as JsonStatus & { unsentAlertTotals: unknown; otherUnsentAlerts: unknown };
    expect(parsed.unsentAlertTotals).toEqual({ waiting: 0, retrying: 2, givenUp: 2 });
    expect(parsed.flows.map((flow) => [flow.id, flow.unsentAlerts])).toEqual([
      [
        501,
        [
          { notifier: 'oncall', waiting: 0, retrying: 0, givenUp: 1 },
          { notifier: 'team', waiting: 0, retrying: 1, givenUp: 0 },
        ],
      ],
      [502, []],
    ]);
    expect(parsed.otherUnsentAlerts).toEqual([
      { scope: 'account', flow: null, notifier: 'oncall', waiting: 0, retrying: 0, givenUp: 1 },
      { scope: 'account', flow: null, notifier: 'team', waiting: 0, retrying: 1, givenUp: 0 },
    ]);
  }, 40_000);
});

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
