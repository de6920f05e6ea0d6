import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/redis.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * Two Portable accounts on one worker, each with a flow 42: the simulator tells them apart by token, the worker by
 * (account, flow). A failure of one is that flow's alone and names its account; a rejected token is an incident of
 * its account only.
 */

const STAGING_TOKEN = 'pw-staging-token-7c1e';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('several accounts', () => {
  it('keeps two accounts\' flow 42 apart: state, alerts and account incidents', async () => {
    const h = (harness = await startHarness(
      ['  - { id: 42, name: Prod orders, account: default }', '  - { id: 42, name: Staging orders, account: staging }'].join('\n'),
      undefined,
      { sections: (apiUrl) => `accounts:\n  staging: { token: ${STAGING_TOKEN}, apiUrl: ${apiUrl} }` },
    ));
    const staging = h.simulator.addAccount(STAGING_TOKEN, 'staging');
    h.simulator.addFlow({ id: 42, displayName: 'orders' });
    staging.addFlow({ id: 42, displayName: 'orders' });
    await h.startService();
    await h.startService();
    await sleep(1_500);

    staging.addAttempt(42, { state: 'failed', errors: ['Staging warehouse is suspended'] });
    h.simulator.addAttempt(42, { state: 'succeeded' });
    await eventually(() => (h.posts().length === 1 ? true : undefined), 'the staging failure');
    await sleep(1_500);
    expect(h.posts()).toEqual(['FAILED: Staging orders']);
    expect(JSON.stringify(h.slack.posts[0]?.body)).toContain('staging');
    const prodState = JSON.parse((await h.redis.hget(`${h.prefix}:flow:42:state`, 'state')) ?? '{}') as { incident: unknown };
    const stagingState = JSON.parse((await h.redis.hget(`${h.prefix}:flow:staging~42:state`, 'state')) ?? '{}') as { incident: unknown };
    expect(prodState.incident).toBeNull();
    expect(stagingState.incident).toMatchObject({ kind: 'failed' });

    // Staging's token is revoked: one account-wide alert, about staging; prod keeps being checked.
    staging.setToken('revoked-token');
    await eventually(() => (h.posts().length === 2 ? true : undefined), 'the staging account alert', 20_000);
    h.simulator.addAttempt(42, { state: 'failed', errors: ['Prod warehouse is suspended'] });
    await eventually(() => (h.posts().length === 3 ? true : undefined), 'the prod failure');
    await sleep(1_500);
    expect(h.posts().slice(1)).toEqual(['MONITOR ERROR: Portable account staging', 'FAILED: Prod orders']);
  }, 60_000);
});
