import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { initialFlowState } from '../../src/detection/flow-state.ts';
import { createFlowStateStore, installationMarkerKey, type BeginResult, type FlowStateStore } from '../../src/state/flow-state-store.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

let redis: Redis;
let prefix: string;
let store: FlowStateStore;

beforeAll(() => {
  redis = connectRedis();
  prefix = uniquePrefix('store');
  store = createFlowStateStore(redis, prefix);
});

afterAll(async () => {
  // The stores made beside the main one (a fresh begin, another installation) leave keys of their own.
  for (const each of [prefix, `${prefix}-begin`, `${prefix}-other`, `${prefix}-install`]) await dropPrefix(redis, each);
  redis.disconnect();
});

/** The state a begin read; fails the test when it did not begin. */
function begunState(result: BeginResult) {
  if (result.outcome !== 'begun') throw new Error(`expected the check to begin, got ${result.outcome}`);
  return result.state;
}

describe('flow state store', () => {
  it('begins a check in one step: the lease, the flow state and the account state; a second begin is refused', async () => {
    const first = await store.begin('1', 'default', 'worker-a', 5_000, Date.now());
    expect(first).toEqual({ outcome: 'begun', state: initialFlowState(), account: { version: 0, monitor: null, monitorIncidents: 0, failingSince: null } });
    expect(await store.begin('1', 'default', 'worker-b', 5_000, Date.now())).toEqual({ outcome: 'busy' });
    // Only a check that took the lease counts as one that began, for every replica's watchdog.
    expect(await store.lastCheckBegan()).toBeLessThanOrEqual(Date.now());
    await store.begin('1', 'default', 'worker-b', 5_000, 42);
    expect(await store.lastCheckBegan()).not.toBe(42);
    expect(await redis.pttl(`${prefix}:flow:1:lock`)).toBeGreaterThan(4_000);
  });

  it('commits and gives its own lease back in the same step, and never another owner’s', async () => {
    const begun = await store.begin('2', 'default', 'worker-a', 5_000, Date.now());
    const next = { ...initialFlowState(), checkpoint: 1_700_000_000_000 };
    expect(await store.commit('2', begunState(begun).version, next, 'worker-a')).toBe(true);
    expect(await redis.exists(`${prefix}:flow:2:lock`)).toBe(0);

    const again = begunState(await store.begin('2', 'default', 'worker-a', 5_000, Date.now()));
    expect(again).toMatchObject({ version: 1, checkpoint: 1_700_000_000_000 });
    // worker-a's lease expired and worker-b took the flow: a's commit still needs the version to match, and it
    // leaves b's lease alone.
    await redis.set(`${prefix}:flow:2:lock`, 'worker-b', 'PX', 5_000);
    expect(await store.commit('2', again.version, { ...next, checkpoint: 2 }, 'worker-a')).toBe(true);
    expect(await redis.get(`${prefix}:flow:2:lock`)).toBe('worker-b');
    expect(await store.commit('2', again.version, { ...next, checkpoint: 3 }, 'worker-b')).toBe(false);
    expect(await redis.get(`${prefix}:flow:2:lock`)).toBeNull();
    expect(await store.load('2')).toMatchObject({ version: 2, checkpoint: 2 });
  });

  it('loads its scripts again after Redis forgot them (SCRIPT FLUSH, a restart or a failover)', async () => {
    await redis.script('FLUSH');
    expect(await store.begin('3', 'default', 'worker-a', 5_000, Date.now())).toMatchObject({ outcome: 'begun' });
    await redis.script('FLUSH');
    expect(await store.commit('3', 0, initialFlowState(), 'worker-a')).toBe(true);
    expect(await store.load('3')).toMatchObject({ version: 1 });
  });

  it('refuses to begin on an installation other than the one it knows, and while a rebuilt one settles', async () => {
    const own = createFlowStateStore(redis, prefix);
    own.setInstallation('life-1');
    expect(await own.begin('4', 'default', 'worker-a', 5_000, Date.now())).toEqual({ outcome: 'moved' });
    await redis.hset(installationMarkerKey(prefix), 'id', 'life-1', 'settledAt', String(Date.now() + 60_000));
    expect(await own.begin('4', 'default', 'worker-a', 5_000, Date.now())).toEqual({ outcome: 'settling' });
    await redis.hset(installationMarkerKey(prefix), 'settledAt', String(Date.now() - 1));
    expect(await own.begin('4', 'default', 'worker-a', 5_000, Date.now())).toMatchObject({ outcome: 'begun' });
    await redis.hset(installationMarkerKey(prefix), 'id', 'life-2');
    expect(await own.begin('5', 'default', 'worker-a', 5_000, Date.now())).toEqual({ outcome: 'moved' });
    await redis.del(installationMarkerKey(prefix));
  });

  it('puts back what it committed after Redis lost it, never over a state a check committed since', async () => {
    const a = createFlowStateStore(redis, prefix);
    const b = createFlowStateStore(redis, prefix);
    // a commits flows 10 and 11 at checkpoint 100, b commits flow 10 later, at checkpoint 200.
    expect(await a.commit('10', 0, { ...initialFlowState(), checkpoint: 100 })).toBe(true);
    expect(await a.commit('11', 0, { ...initialFlowState(), checkpoint: 100 })).toBe(true);
    expect(await b.commit('10', 1, { ...initialFlowState(), checkpoint: 200 })).toBe(true);
    expect(await a.commitAccount('default', 0, { version: 0, monitor: null, monitorIncidents: 3, failingSince: null })).toBe(true);
    await dropPrefix(redis, prefix);

    expect(await a.seedRemembered()).toEqual({ flows: 2, written: 3 });
    expect(await a.load('10')).toMatchObject({ version: 1, checkpoint: 100 });
    // b remembers a newer state of flow 10: it replaces a's seed; a second seeding by a changes nothing.
    expect(await b.seedRemembered()).toEqual({ flows: 1, written: 1 });
    expect(await a.seedRemembered()).toEqual({ flows: 2, written: 0 });
    expect(await a.load('10')).toMatchObject({ version: 2, checkpoint: 200 });
    expect(await a.loadAccount('default')).toMatchObject({ monitorIncidents: 3 });

    // A check commits over the seed (its version, so the compare-and-set holds); a late seed never overwrites that.
    expect(await a.commit('10', 2, { ...initialFlowState(), checkpoint: 250 })).toBe(true);
    expect(await b.seedRemembered()).toEqual({ flows: 1, written: 0 });
    expect(await a.load('10')).toMatchObject({ version: 3, checkpoint: 250 });
  });

  it('forgets a removed flow: its state, lease and last alert in Redis, and what it remembers', async () => {
    const own = createFlowStateStore(redis, prefix);
    expect(await own.commit('20', 0, { ...initialFlowState(), checkpoint: 5 })).toBe(true);
    expect(await own.commit('21', 0, { ...initialFlowState(), checkpoint: 5 })).toBe(true);
    await redis.hset(`${prefix}:flow:20:last-alert`, 'kind', 'failed');
    await own.remove('20');
    own.forgetAllBut(new Set(['20']));
    expect(await redis.exists(`${prefix}:flow:20:state`, `${prefix}:flow:20:last-alert`)).toBe(0);
    await dropPrefix(redis, prefix);
    // 20 was removed and 21 is no longer watched: neither comes back.
    expect(await own.seedRemembered()).toEqual({ flows: 0, written: 0 });
  });

  it('begins with what was committed: the flow state and the account state as last written', async () => {
    const fresh = createFlowStateStore(redis, `${prefix}-begin`);
    expect(await fresh.lastCheckBegan()).toBeUndefined();
    expect(await fresh.commit('30', 0, { ...initialFlowState(), checkpoint: 7, displayName: 'events' })).toBe(true);
    expect(await fresh.commitAccount('default', 0, { version: 0, monitor: null, monitorIncidents: 2, failingSince: 9 })).toBe(true);
    const begun = await fresh.begin('30', 'default', 'worker-a', 5_000, 1_000);
    expect(begun).toEqual({
      outcome: 'begun',
      state: { ...initialFlowState(), version: 1, checkpoint: 7, displayName: 'events' },
      account: { version: 1, monitor: null, monitorIncidents: 2, failingSince: 9 },
    });
    expect(await fresh.lastCheckBegan()).toBe(1_000);
    // Each installation's prefix keeps its own record of when a check last began.
    expect(await createFlowStateStore(redis, `${prefix}-other`).lastCheckBegan()).toBeUndefined();
    await fresh.unlock('30', 'worker-a');
  });

  it('loads many flows in one round trip, a flow never checked as a fresh state', async () => {
    expect(await store.commit('40', 0, { ...initialFlowState(), checkpoint: 40 })).toBe(true);
    const states = await store.loadMany(['40', '41']);
    expect([...states.keys()]).toEqual(['40', '41']);
    expect(states.get('40')).toMatchObject({ version: 1, checkpoint: 40 });
    expect(states.get('41')).toEqual(initialFlowState());
  });

  it('renews only its own lease; a commit without an owner leaves the lease alone', async () => {
    await store.begin('50', 'default', 'worker-a', 1_000, Date.now());
    expect(await store.extendLock('50', 'worker-a', 20_000)).toBe(true);
    expect(await redis.pttl(`${prefix}:flow:50:lock`)).toBeGreaterThan(19_000);
    expect(await store.extendLock('50', 'worker-b', 60_000)).toBe(false);
    expect(await redis.pttl(`${prefix}:flow:50:lock`)).toBeLessThanOrEqual(20_000);
    expect(await store.extendLock('51', 'worker-a', 20_000)).toBe(false);
    expect(await store.commit('50', 0, initialFlowState())).toBe(true);
    expect(await redis.get(`${prefix}:flow:50:lock`)).toBe('worker-a');
    await store.unlock('50', 'worker-b');
    expect(await redis.get(`${prefix}:flow:50:lock`)).toBe('worker-a');
    await store.unlock('50', 'worker-a');
    expect(await redis.exists(`${prefix}:flow:50:lock`)).toBe(0);
  });

  it('checks the installation only once it knows one', async () => {
    const own = createFlowStateStore(redis, `${prefix}-install`);
    own.setInstallation('install-a');
    expect(await own.begin('60', 'default', 'worker-a', 1_000, Date.now())).toEqual({ outcome: 'moved' });
    own.setInstallation(undefined);
    expect((await own.begin('60', 'default', 'worker-a', 1_000, Date.now())).outcome).toBe('begun');
    await own.unlock('60', 'worker-a');
  });

  it('follows the connection it is given as a function, when the watchdog replaces it', async () => {
    const first = connectRedis();
    const second = connectRedis();
    let current = first;
    const own = createFlowStateStore(() => current, prefix);
    expect(await own.commit('70', 0, initialFlowState())).toBe(true);
    first.disconnect();
    current = second;
    expect(await own.load('70')).toMatchObject({ version: 1 });
    second.disconnect();
  });

  it('puts back only the flows still watched, and always the account', async () => {
    const own = createFlowStateStore(redis, `${prefix}-forget`);
    for (const flow of ['80', '81', '82']) expect(await own.commit(flow, 0, { ...initialFlowState(), checkpoint: 1 })).toBe(true);
    expect(await own.commitAccount('default', 0, { version: 0, monitor: null, monitorIncidents: 1, failingSince: null })).toBe(true);
    own.forgetAllBut(new Set(['80', '82']));
    // Redis still has everything: nothing to write, but the flows it remembers are counted.
    expect(await own.seedRemembered()).toEqual({ flows: 2, written: 0 });
    await dropPrefix(redis, `${prefix}-forget`);
    expect(await own.seedRemembered()).toEqual({ flows: 2, written: 3 });
    expect(await own.loadAccount('default')).toMatchObject({ version: 1, monitorIncidents: 1 });
    expect(await own.load('81')).toMatchObject({ version: 0 });
  });

  it('keeps two accounts’ flow 42 apart: state, lease and account state; the default account at the keys of old', async () => {
    const own = createFlowStateStore(redis, `${prefix}-accounts`);
    // Both flows 42 begin at once: one lease does not hold the other.
    const home = begunState(await own.begin('42', 'default', 'worker-a', 5_000, Date.now()));
    const prod = begunState(await own.begin('prod~42', 'prod', 'worker-b', 5_000, Date.now()));
    expect(await own.begin('42', 'default', 'worker-c', 5_000, Date.now())).toEqual({ outcome: 'busy' });
    expect(await own.begin('prod~42', 'prod', 'worker-c', 5_000, Date.now())).toEqual({ outcome: 'busy' });
    expect(await redis.get(`${prefix}-accounts:flow:42:lock`)).toBe('worker-a');
    expect(await redis.get(`${prefix}-accounts:flow:prod~42:lock`)).toBe('worker-b');

    // Each commits from version 0 and gives back only its own lease.
    expect(await own.commit('42', home.version, { ...initialFlowState(), checkpoint: 1 }, 'worker-a')).toBe(true);
    expect(await redis.get(`${prefix}-accounts:flow:prod~42:lock`)).toBe('worker-b');
    expect(await own.load('prod~42')).toEqual(initialFlowState());
    expect(await own.commit('prod~42', prod.version, { ...initialFlowState(), checkpoint: 2 }, 'worker-b')).toBe(true);
    expect(await own.load('42')).toMatchObject({ version: 1, checkpoint: 1 });
    expect(await own.load('prod~42')).toMatchObject({ version: 1, checkpoint: 2 });
    expect(JSON.parse((await redis.hget(`${prefix}-accounts:flow:42:state`, 'state')) ?? '{}')).toMatchObject({ checkpoint: 1 });

    // Each account has its own state; the default one stays where versions before accounts kept it.
    expect(await own.commitAccount('default', 0, { version: 0, monitor: null, monitorIncidents: 1, failingSince: null })).toBe(true);
    expect(await own.loadAccount('prod')).toEqual({ version: 0, monitor: null, monitorIncidents: 0, failingSince: null });
    expect(await own.commitAccount('prod', 0, { version: 0, monitor: null, monitorIncidents: 5, failingSince: 9 })).toBe(true);
    expect(await own.loadAccount('default')).toMatchObject({ version: 1, monitorIncidents: 1, failingSince: null });
    expect(await own.loadAccount('prod')).toMatchObject({ version: 1, monitorIncidents: 5, failingSince: 9 });
    expect(JSON.parse((await redis.hget(`${prefix}-accounts:account:state`, 'state')) ?? '{}')).toMatchObject({ monitorIncidents: 1 });

    // A check begins with its own flow's state and its own account's.
    const again = await own.begin('prod~42', 'prod', 'worker-b', 5_000, Date.now());
    expect(again).toMatchObject({ outcome: 'begun', state: { checkpoint: 2 }, account: { monitorIncidents: 5 } });
    await own.unlock('prod~42', 'worker-b');

    // Removing one account's flow 42 leaves the other's.
    await own.remove('prod~42');
    expect(await own.load('prod~42')).toEqual(initialFlowState());
    expect(await own.load('42')).toMatchObject({ version: 1, checkpoint: 1 });
    await dropPrefix(redis, `${prefix}-accounts`);
  });
});
