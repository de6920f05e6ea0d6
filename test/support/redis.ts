import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the suite runs against: REDIS_URL (set by .ci/run), else the local default. */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function connectRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
}

/** A key prefix no other test uses, with a hash tag as in production. */
export function uniquePrefix(label: string): string {
  return `{pwtest-${label}-${randomUUID().slice(0, 8)}}`;
}

/** Deletes every key under the prefix. */
export { deleteKeysUnder as dropPrefix } from '../../src/redis/delete-keys-under.ts';

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
