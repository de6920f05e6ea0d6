import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { initialFlowState } from '../../src/detection/flow-state.ts';
import { createFlowStateStore, type FlowStateStore } from '../../src/state/flow-state-store.ts';
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
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

describe('flow state store', () => {
  it('begins a check in one step: the lease, the flow state and the account state; a second begin is refused', async () => {
    const first = await store.begin(1, 'worker-a', 5_000);
    expect(first).toEqual({ state: initialFlowState(), account: { version: 0, monitor: null, monitorIncidents: 0, failingSince: null } });
    expect(await store.begin(1, 'worker-b', 5_000)).toBeUndefined();
    expect(await redis.pttl(`${prefix}:flow:1:lock`)).toBeGreaterThan(4_000);
  });

  it('commits and gives its own lease back in the same step, and never another owner’s', async () => {
    const begun = await store.begin(2, 'worker-a', 5_000);
    const next = { ...initialFlowState(), checkpoint: 1_700_000_000_000 };
    expect(await store.commit(2, begun!.state.version, next, 'worker-a')).toBe(true);
    expect(await redis.exists(`${prefix}:flow:2:lock`)).toBe(0);

    const again = await store.begin(2, 'worker-a', 5_000);
    expect(again?.state).toMatchObject({ version: 1, checkpoint: 1_700_000_000_000 });
    // worker-a's lease expired and worker-b took the flow: a's commit still needs the version to match, and it
    // leaves b's lease alone.
    await redis.set(`${prefix}:flow:2:lock`, 'worker-b', 'PX', 5_000);
    expect(await store.commit(2, again!.state.version, { ...next, checkpoint: 2 }, 'worker-a')).toBe(true);
    expect(await redis.get(`${prefix}:flow:2:lock`)).toBe('worker-b');
    expect(await store.commit(2, again!.state.version, { ...next, checkpoint: 3 }, 'worker-b')).toBe(false);
    expect(await redis.get(`${prefix}:flow:2:lock`)).toBeNull();
    expect(await store.load(2)).toMatchObject({ version: 2, checkpoint: 2 });
  });

  it('loads its scripts again after Redis forgot them (SCRIPT FLUSH, a restart or a failover)', async () => {
    await redis.script('FLUSH');
    expect(await store.begin(3, 'worker-a', 5_000)).toBeDefined();
    await redis.script('FLUSH');
    expect(await store.commit(3, 0, initialFlowState(), 'worker-a')).toBe(true);
    expect(await store.load(3)).toMatchObject({ version: 1 });
  });
});
