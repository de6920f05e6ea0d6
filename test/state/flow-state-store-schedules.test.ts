import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createFlowStateStore, type FlowStateStore } from '../../src/state/flow-state-store.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

let redis: Redis;
let prefix: string;
let store: FlowStateStore;

beforeAll(() => {
  redis = connectRedis();
  prefix = uniquePrefix('schedules');
  store = createFlowStateStore(redis, prefix);
});

afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

describe('flow state store: Portable schedules', () => {
  it('reads a flow’s schedule from the `<prefix>:schedules` hash the schedule refresh writes, by flow id', async () => {
    await redis.hset(`${prefix}:schedules`, '7', JSON.stringify({ cron: '0 * * * *' }));
    expect(await store.loadSchedule(String(7))).toEqual({ cron: '0 * * * *' });
    expect(await store.loadSchedule(String(8))).toBeUndefined();
  });
});
