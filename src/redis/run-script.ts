import { createHash } from 'node:crypto';
import type { RedisConnection } from './connect-redis.ts';

/**
 * EVALSHA, falling back to EVAL once when Redis does not have the script yet (after a restart or a failover):
 * the script's text crosses the wire once per server, not once per check.
 */
export async function runScript(redis: RedisConnection, script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
  const sha = createHash('sha1').update(script).digest('hex');
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}
