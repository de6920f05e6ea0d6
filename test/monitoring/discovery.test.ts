import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, testRedisUrl } from '../support/redis.ts';
import { runCli } from '../support/run-cli.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * `discover:` on real parts: the worker lists the simulator's flows, watches those a rule includes, starts watching a
 * flow created while it runs within one refresh, drops a deleted one with its keys, and keeps what it watches when the
 * listing fails (a monitor error once that lasts). The clock is the harness's, moved to stand for refreshes passing.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const SECTIONS = ['discover:', '  - { include: "Shop*", exclude: "*test*" }', 'discoverEvery: 10s', 'discoverNotify: [oncall]'].join('\n');

async function schedulers(h: Harness): Promise<string[]> {
  const service = await h.startService();
  const keys = (await service.checkQueue.getJobSchedulers(0, -1)).map((scheduler) => scheduler.key).sort();
  await service.close(500);
  return keys;
}

describe('discovery', () => {
  it('watches what the rules include, a new flow within one refresh, and drops a deleted one with its keys', async () => {
    let offset = 0;
    const h = (harness = await startHarness('', undefined, { sections: SECTIONS, now: () => Date.now() + offset }));
    h.simulator.addFlow({ id: 11, displayName: 'Shopify orders' });
    h.simulator.addFlow({ id: 12, displayName: 'Stripe charges' });
    h.simulator.addFlow({ id: 14, displayName: 'Shopify test store' });
    await h.startService();
    await h.startService();

    await eventually(() => (h.posts().length === 1 ? true : undefined), 'the first discovery notice');
    expect(h.posts()).toEqual(['DISCOVERY: now watching 1 new flow']);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain('now watching 1 new flow: Shopify orders (11)');
    await sleep(1_500);
    h.simulator.addAttempt(11, { state: 'failed', errors: ['Shopify: 401 Unauthorized'] });
    await eventually(() => (h.posts().length === 2 ? true : undefined), 'the failure of the discovered flow');
    expect(h.posts()[1]).toBe('FAILED: Shopify orders');

    // Created while the worker runs: watched at the next refresh.
    h.simulator.addFlow({ id: 13, displayName: 'Shopify refunds' });
    offset += 11 * SECOND;
    await eventually(() => (h.posts().length === 3 ? true : undefined), 'the second notice', 15 * SECOND);
    expect(h.posts()[2]).toBe('DISCOVERY: now watching 1 new flow');
    await sleep(1_500);
    h.simulator.addAttempt(13, { state: 'failed', errors: ['Shopify: refunds endpoint gone'] });
    await eventually(() => (h.posts().length === 4 ? true : undefined), 'the new flow checked');
    expect(h.posts()[3]).toBe('FAILED: Shopify refunds');

    // `status` lists the discovered flows beside the listed ones (none here), from what the worker wrote to Redis.
    const dir = await mkdtemp(join(tmpdir(), 'pw-discovery-'));
    try {
      await writeFile(join(dir, 'flows.yaml'), h.configText(''));
      const status = await runCli(['status', '--json'], { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: h.prefix, CONFIG_PATH: join(dir, 'flows.yaml') });
      const flows = (JSON.parse(status.stdout) as { flows: Array<{ id: number; name: string; incident: unknown }> }).flows;
      expect(flows.map((flow) => [flow.id, flow.name])).toEqual([
        [11, 'Shopify orders'],
        [13, 'Shopify refunds'],
      ]);
      // `check` knows the discovered flows too, and only those a rule found.
      const env = { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: h.prefix, CONFIG_PATH: join(dir, 'flows.yaml') };
      const check = await runCli(['check', '--flow', '13', '--dry-run'], env);
      expect(check.stdout).toMatch(/^flow 13: \d+ requests?, /);
      const excluded = await runCli(['check', '--flow', '14', '--dry-run'], env);
      expect([excluded.code, excluded.stderr.trim()]).toEqual([1, 'portable-watch check: flow 14 is not in the config nor found by discover:']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Deleted in Portable: dropped at the next refresh, with its state.
    expect(await h.redis.exists(`${h.prefix}:flow:11:state`)).toBe(1);
    h.simulator.removeFlow(11);
    offset += 11 * SECOND;
    await eventually(() => (h.posts().length === 5 ? true : undefined), 'the stopped-watching notice', 15 * SECOND);
    expect(h.posts()[4]).toBe('DISCOVERY: stopped watching 1 flow');
    expect(JSON.stringify(h.slack.posts[4]?.body)).toContain('stopped watching 1 flow: Shopify orders (11) (gone from Portable or no longer included)');
    await eventually(async () => ((await h.redis.exists(`${h.prefix}:flow:11:state`)) === 0 ? true : undefined), 'the state of flow 11 gone');
    expect(await h.redis.keys(`${h.prefix}:flow:11:*`)).toEqual([]);
    expect(await schedulers(h)).toEqual(['flow-13']);
  }, 90_000);

  it('keeps watching what it found when GET /v2/flows fails, and says so once it lasts', async () => {
    let offset = 0;
    const h = (harness = await startHarness('', undefined, { sections: SECTIONS, now: () => Date.now() + offset }));
    h.simulator.addFlow({ id: 21, displayName: 'Shopify orders' });
    await h.startService();
    await eventually(() => (h.posts().length === 1 ? true : undefined), 'the first discovery notice');

    h.simulator.injectFault({ kind: 'status', status: 503 }, { endpoint: 'flows' });
    h.simulator.addFlow({ id: 22, displayName: 'Shopify refunds' });
    offset += 11 * SECOND;
    await sleep(3 * SECOND);
    expect(h.posts()).toHaveLength(1);
    expect(await schedulers(h)).toEqual(['flow-21']);

    // Still failing five minutes later: the account's monitor error, once.
    offset += 5 * MINUTE;
    await eventually(() => (h.posts().length === 2 ? true : undefined), 'the listing monitor error', 20 * SECOND);
    expect(h.posts()[1]).toBe('MONITOR ERROR: Portable account');
    expect(JSON.stringify(h.slack.posts[1]?.body)).toContain('cannot list the flows of account default');
    offset += 11 * SECOND;
    await sleep(3 * SECOND);
    expect(h.posts()).toHaveLength(2);
    expect(await schedulers(h)).toEqual(['flow-21']);

    // Listing works again: the new flow is watched, the error ends.
    h.simulator.clearFaults();
    offset += 11 * SECOND;
    await eventually(() => (h.posts().length === 4 ? true : undefined), 'the recovery and the notice', 20 * SECOND);
    expect(h.posts().slice(2).sort()).toEqual(['DISCOVERY: now watching 1 new flow', 'MONITOR RECOVERED: Portable account']);
  }, 90_000);
});
