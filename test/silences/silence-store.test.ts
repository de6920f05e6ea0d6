import type * as crypto from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { firstMatchingSilence } from '../../src/silences/match-silence.ts';
import { createSilenceStore, silenceStoreKey, type SilenceStore } from '../../src/silences/silence-store.ts';
import type { Silence } from '../../src/silences/silence-types.ts';
import { failedAlert, HOUR } from '../notifiers/alert-fixtures.ts';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis.ts';

/** Silences in a real Redis: what every replica, `status` and the CLI share. */

// A clash of random ids (one in 4 billion) cannot be waited for: the ids can be chosen, everything else stays real.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, randomBytes: vi.fn(actual.randomBytes) };
});

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

let redis: Redis;
let prefix: string;
let store: SilenceStore;

beforeEach(() => {
  redis = connectRedis();
  prefix = uniquePrefix('silences');
  store = createSilenceStore(redis, prefix);
});

afterEach(async () => {
  vi.mocked(randomBytes).mockReset();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function input(overrides: Partial<Omit<Silence, 'id' | 'createdAt'>> = {}): Omit<Silence, 'id' | 'createdAt'> {
  return { flow: 689422, startsAt: NOW, endsAt: NOW + HOUR, reason: 'warehouse upgrade', ...overrides };
}

describe('silence store', () => {
  it('adds a silence under a fresh s- id in one hash under the prefix, and reads it back', async () => {
    const added = await store.add(input({ labels: { team: 'growth' }, name: 'events*', kinds: ['failed', 'stalled'] }), NOW);
    expect(added.id).toMatch(/^s-[0-9a-f]{8}$/);
    expect(added).toEqual({ id: added.id, flow: 689422, labels: { team: 'growth' }, name: 'events*', kinds: ['failed', 'stalled'], startsAt: NOW, endsAt: NOW + HOUR, reason: 'warehouse upgrade', createdAt: NOW });
    expect(await redis.hkeys(silenceStoreKey(prefix))).toEqual([added.id]);
    expect(await store.get(added.id)).toEqual(added);
    expect(await store.get('s-ffffffff')).toBeUndefined();
  });

  it('gives every silence its own id', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, () => store.add(input(), NOW).then((silence) => silence.id)));
    expect(new Set(ids).size).toBe(50);
    expect(await redis.hlen(silenceStoreKey(prefix))).toBe(50);
  });

  describe('when a new id is already taken', () => {
    const TAKEN = 's-0000abcd';
    const FREE = 's-00001234';
    const bytes = (id: string) => Buffer.from(id.slice(2), 'hex');
    /** The next ids randomBytes hands out, in order. */
    function nextIds(...ids: string[]): void {
      for (const id of ids) vi.mocked(randomBytes).mockImplementationOnce(() => bytes(id));
    }

    it('tries again with another id and leaves the silence already there untouched', async () => {
      nextIds(TAKEN);
      const first = await store.add(input({ flow: 1 }), NOW);
      expect(first.id).toBe(TAKEN);
      nextIds(TAKEN, TAKEN, TAKEN, TAKEN, FREE);
      const second = await store.add(input({ flow: 2 }), NOW);
      expect(second.id).toBe(FREE);
      expect(await store.get(TAKEN)).toEqual(first);
      expect(await store.list(NOW)).toEqual([first, second].sort((a, b) => a.id.localeCompare(b.id)));
    });

    it('gives up after 5 attempts with an error that names the hash, storing nothing', async () => {
      nextIds(TAKEN);
      const first = await store.add(input({ flow: 1 }), NOW);
      // A sixth id would be free: the store must not get that far.
      nextIds(TAKEN, TAKEN, TAKEN, TAKEN, TAKEN, FREE);
      await expect(store.add(input({ flow: 2 }), NOW)).rejects.toThrow(
        `could not find a free silence id after 5 attempts: is ${silenceStoreKey(prefix)} full of silences?`,
      );
      expect(await store.list(NOW)).toEqual([first]);
    });
  });

  it('lists the silences not ended, soonest to end first, and deletes the ended ones', async () => {
    const later = await store.add(input({ endsAt: NOW + 3 * HOUR }), NOW);
    const soon = await store.add(input({ endsAt: NOW + HOUR }), NOW);
    const ended = await store.add(input({ endsAt: NOW + 30 * 60_000 }), NOW);
    const notYet = await store.add(input({ startsAt: NOW + 2 * HOUR, endsAt: NOW + 2 * HOUR + 1 }), NOW);
    const at = NOW + 30 * 60_000;
    expect((await store.list(at)).map((silence) => silence.id)).toEqual([soon.id, notYet.id, later.id]);
    // Gone from Redis, not merely hidden: it expired by itself.
    expect(await store.get(ended.id)).toBeUndefined();
    expect((await store.active(at)).map((silence) => silence.id)).toEqual([soon.id, later.id]);
    expect((await store.active(NOW + 2 * HOUR)).map((silence) => silence.id)).toEqual([notYet.id, later.id]);
  });

  it('returns an ended silence from get until a list prunes it', async () => {
    const silence = await store.add(input({ endsAt: NOW + 1 }), NOW);
    expect(await store.get(silence.id)).toEqual(silence);
    expect(await store.active(NOW + 1)).toEqual([]);
    expect(await store.get(silence.id)).toBeUndefined();
  });

  it('removes a silence once: true the first time, false after, and false for an id never seen', async () => {
    const silence = await store.add(input(), NOW);
    const kept = await store.add(input({ flow: 1 }), NOW);
    expect(await store.remove(silence.id)).toBe(true);
    expect(await store.remove(silence.id)).toBe(false);
    expect(await store.remove('s-00000000')).toBe(false);
    expect(await store.list(NOW)).toEqual([kept]);
  });

  it('lets two replicas prune at once: each keeps the same silences and nothing is lost', async () => {
    const other = connectRedis();
    try {
      const replica = createSilenceStore(() => other, prefix);
      for (let index = 0; index < 20; index += 1) await store.add(input({ endsAt: NOW + (index % 2 === 0 ? 1 : HOUR) }), NOW);
      const [mine, theirs] = await Promise.all([store.list(NOW + 1), replica.list(NOW + 1)]);
      expect(mine).toHaveLength(10);
      expect(theirs).toEqual(mine);
      expect(await redis.hlen(silenceStoreKey(prefix))).toBe(10);
    } finally {
      other.disconnect();
    }
  });

  it('skips an entry it cannot read and leaves it for whoever wrote it', async () => {
    await store.add(input(), NOW);
    await redis.hset(silenceStoreKey(prefix), 's-bad00000', '{"id":"s-bad00000","kinds":["meteor"]}', 's-bad00001', 'not json');
    expect(await store.list(NOW + 2 * HOUR)).toEqual([]);
    expect(await store.get('s-bad00001')).toBeUndefined();
    // The readable one ended and was pruned; the others stay.
    expect((await redis.hkeys(silenceStoreKey(prefix))).sort()).toEqual(['s-bad00000', 's-bad00001']);
  });

  it('finds the silence holding an alert among those read from Redis', async () => {
    await store.add(input({ flow: 1 }), NOW);
    const held = await store.add(input({ labels: { team: 'growth' }, endsAt: NOW + 2 * HOUR }), NOW);
    const alert = failedAlert({ flow: { id: 689422, name: 'Events', labels: { team: 'growth' } } });
    expect(firstMatchingSilence(await store.active(NOW), alert, NOW)).toEqual(held);
    expect(firstMatchingSilence(await store.active(NOW + 2 * HOUR), alert, NOW + 2 * HOUR)).toBeUndefined();
  });
});
