import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silenceStoreKey } from '../../src/silences/silence-store.ts';
import { connectRedis, dropPrefix, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { runCli } from '../support/run-cli.ts';

/**
 * `portable-watch silence` as an operator runs it: real processes against a real Redis, with a config whose
 * secrets are not set (silences need none of them). Each process takes a second or two to start on a busy
 * machine, so the tests that run several are given 40 s.
 */

let redis: Redis;
let prefix: string;
let dir: string;
let configPath: string;

beforeEach(async () => {
  redis = connectRedis();
  prefix = uniquePrefix('silence-cli');
  dir = await mkdtemp(join(tmpdir(), 'pw-silence-'));
  configPath = join(dir, 'flows.yaml');
  const config = [
    'portable:',
    '  token: ${PORTABLE_API_TOKEN}',
    'notifiers:',
    '  terminal: { type: console }',
    'defaults: { notify: [terminal] }',
    'flows:',
    '  - { id: 689422, name: Orders to Snowflake, labels: { team: growth, tier: critical } }',
    '  - { id: 689423 }',
  ].join('\n');
  await writeFile(configPath, config);
});

afterEach(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

function silence(...args: string[]) {
  return runCli(['silence', ...args], { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, CONFIG_PATH: configPath });
}

describe('portable-watch silence', () => {
  it('adds a silence, printing only its id; lists it as a table and as JSON; removes it once', async () => {
    const added = await silence('add', '--flow', '689422', '--kind', 'stalled,failed', '--for', '2h', '--reason', 'warehouse upgrade, ask #data');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^s-[0-9a-f]{8}\n$/);
    const id = added.stdout.trim();
    expect(added.stderr).toMatch(/^silenced flow 689422 \(Orders to Snowflake\) \(failed, stalled\) until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in [12]h[ 0-9m]*\): warehouse upgrade, ask #data\n$/);

    const table = await silence('list');
    expect(table.code).toBe(0);
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +MATCHES +KINDS +ENDS +REASON$/);
    expect(row).toMatch(new RegExp(`^${id} +flow 689422 \\(Orders to Snowflake\\) +failed, stalled +\\S+Z \\(in 1h 59m\\) +warehouse upgrade, ask #data$`));
    expect(rest).toEqual([]);

    const json = await silence('list', '--json');
    const [listed, ...others] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(others).toEqual([]);
    expect(listed).toMatchObject({ id, flow: 689422, labels: null, name: null, kinds: ['failed', 'stalled'], reason: 'warehouse upgrade, ask #data' });
    const { endsAt, startsAt } = listed as { endsAt: { ms: number; iso: string }; startsAt: { ms: number; iso: string } };
    expect(endsAt.ms - startsAt.ms).toBe(2 * 3_600_000);
    expect(new Date(endsAt.iso).getTime()).toBe(endsAt.ms);

    expect(await silence('remove', id)).toEqual({ code: 0, stdout: `removed ${id}\n`, stderr: '' });
    expect(await silence('list')).toMatchObject({ code: 0, stdout: 'No silences.\n' });
    const again = await silence('remove', id);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toContain(`no silence ${id}`);
  }, 40_000);

  it('picks one account\'s flow with --label account=NAME when several accounts have the same flow id', async () => {
    const accounts = [
      'portable: { token: t }',
      'accounts: { staging: { token: s } }',
      'notifiers: { terminal: { type: console } }',
      'defaults: { notify: [terminal] }',
      'flows: [{ id: 42, account: default }, { id: 42, account: staging }]',
    ].join('\n');
    await writeFile(configPath, accounts);
    const staging = await silence('add', '--flow', '42', '--label', 'account=staging', '--for', '1h', '--reason', 'staging reload');
    expect(staging.code).toBe(0);
    expect(staging.stderr).toContain('silenced flow 42 and label account=staging');
    expect(staging.stderr).not.toContain('warning');
    const nowhere = await silence('add', '--flow', '42', '--label', 'account=prod', '--for', '1h', '--reason', 'no such account');
    expect(nowhere.stderr).toContain('warning: this silence (flow 42 and label account=prod) matches none of the 2 flows');
  }, 30_000);

  it('combines matchers, and warns when they match no flow of the config now but adds the silence anyway', async () => {
    // `?` is not a wildcard (matcher has none): no flow is named 68942 and one more character.
    const matching = await silence('add', '--name', '68942?', '--for', '1h', '--reason', 'glob with ?');
    expect(matching.code).toBe(0);
    expect(matching.stderr).toContain('warning: this silence (name "68942?") matches none of the 2 flows');

    // A flow without a name in the config is matched by its id as text.
    const unnamed = await silence('add', '--name', '*9423', '--for', '1h', '--reason', 'the unnamed flow');
    expect(unnamed.code).toBe(0);
    expect(unnamed.stderr).not.toContain('warning');

    const labelled = await silence('add', '--label', 'team=growth', '--label', 'tier=critical', '--name', 'orders*', '--for', '30m', '--reason', 'labels');
    expect(labelled.code).toBe(0);
    expect(labelled.stderr).toContain('silenced labels team=growth, tier=critical and name "orders*" (every kind)');
    expect(labelled.stderr).not.toContain('warning');

    // Every label must hold: the flow named orders is not tier=low.
    const oneLabelOff = await silence('add', '--label', 'team=growth', '--label', 'tier=low', '--for', '30m', '--reason', 'labels');
    expect(oneLabelOff.stderr).toContain('warning: this silence (labels team=growth, tier=low) matches none of the 2 flows');

    expect(await redis.hlen(silenceStoreKey(prefix))).toBe(4);
    const listed = JSON.parse((await silence('list', '--json')).stdout) as Array<{ name: string | null; labels: unknown; kinds: unknown }>;
    // Soonest to end first: the two 30m ones in the order they were added, then the 1h ones.
    expect(listed.map((entry) => entry.name)).toEqual(['orders*', null, '68942?', '*9423']);
    expect(listed[0]).toMatchObject({ labels: { team: 'growth', tier: 'critical' }, kinds: null });
  }, 40_000);

  it.each([
    ['no matcher', ['--for', '1h', '--reason', 'r'], 'say what to silence: --flow ID, --label KEY=VALUE or --name GLOB'],
    ['both --for and --until', ['--flow', '1', '--for', '1h', '--until', '2099-01-01T00:00Z', '--reason', 'r'], 'give --for or --until, not both'],
    ['neither --for nor --until', ['--flow', '1', '--reason', 'r'], 'say how long: --for DURATION'],
    ['a kind that does not exist', ['--flow', '1', '--kind', 'failed,stalld', '--for', '1h', '--reason', 'r'], '--kind "stalld" is not a kind (did you mean "stalled"?'],
    ['an --until in the past', ['--flow', '1', '--until', '2020-01-01 10:00', '--reason', 'r'], '--until 2020-01-01T10:00:00Z has already passed'],
    ['an --until too far ahead', ['--flow', '1', '--until', '2099-01-01T00:00Z', '--reason', 'r'], '--until 2099-01-01T00:00:00Z is more than 90d ahead'],
    ['a --for too long', ['--flow', '1', '--for', '91d', '--reason', 'r'], '--for 91d is longer than 90d'],
    ['no --reason', ['--flow', '1', '--for', '1h'], 'give a --reason'],
    ['an empty --reason', ['--flow', '1', '--for', '1h', '--reason', '  '], 'give a --reason'],
    ['a flow id that is not one', ['--flow', 'orders', '--for', '1h', '--reason', 'r'], '--flow "orders" is not a Portable flow id'],
    ['a label without a value', ['--label', 'team', '--for', '1h', '--reason', 'r'], '--label "team" is not KEY=VALUE'],
    ['a label key no flow can have', ['--label', 'cost center=1', '--for', '1h', '--reason', 'r'], '--label "cost center=1": '],
    ['one label twice', ['--label', 'team=a', '--label', 'team=b', '--for', '1h', '--reason', 'r'], '--label team is given twice'],
    ['an unknown option', ['--flow', '1', '--for', '1h', '--reason', 'r', '--silent'], "Unknown option '--silent'"],
  ])('refuses %s with exit 1, the problem and the usage, and stores nothing', async (_case, args, message) => {
    const result = await silence('add', ...args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: portable-watch silence add');
    expect(await redis.exists(silenceStoreKey(prefix))).toBe(0);
  });

  it('lets a silence end by itself: gone from list, and from Redis, once its --until has passed', async () => {
    // Far enough ahead that a slow machine still starts the process before it; list is not asked until after.
    const endsAt = Date.now() + 6_000;
    const added = await silence('add', '--flow', '689423', '--until', new Date(endsAt).toISOString(), '--reason', 'brief');
    expect(added.code).toBe(0);
    const id = added.stdout.trim();
    expect(await redis.hkeys(silenceStoreKey(prefix))).toEqual([id]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, endsAt - Date.now()) + 100));
    expect(await silence('list')).toMatchObject({ code: 0, stdout: 'No silences.\n' });
    expect(await redis.exists(silenceStoreKey(prefix))).toBe(0);
    expect((await silence('remove', id)).code).toBe(1);
  }, 40_000);

  it('explains itself: --help for every action, a missing or unknown action, a remove without an id', async () => {
    for (const args of [['--help'], ['add', '--help']]) {
      const help = await silence(...args);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('portable-watch silence remove ID');
      expect(help.stdout).toContain('is UTC');
    }
    expect((await silence()).stderr).toContain('say what to do: add, list or remove');
    expect((await silence('mute')).stderr).toContain('unknown action "mute"');
    const noId = await silence('remove');
    expect(noId.code).toBe(1);
    expect(noId.stderr).toContain('give the id of the silence to remove');
  }, 40_000);

  it('fails with exit 1 and says so when Redis cannot be reached', async () => {
    const result = await runCli(['silence', 'list'], { REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: prefix, CONFIG_PATH: configPath });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Redis at 127.0.0.1:1');
  });
});
