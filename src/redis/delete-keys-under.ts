import type { Redis } from 'ioredis';

/**
 * Deletes every key whose name starts with `prefix` (the demo's and the tests' own namespaces). SCAN patterns
 * treat `[ ] * ? \` specially; our prefixes hold none of them, only a hash tag's braces. UNLINK frees memory
 * off Redis's main thread.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
