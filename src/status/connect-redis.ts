import { Redis } from 'ioredis';

/**
 * A Redis connection for commands that only read (`status`): no worker, so commands may fail fast instead of
 * waiting forever for a reconnect (`maxRetriesPerRequest: null` is for BullMQ workers). The unreachable-Redis
 * message is the one `openRuntime` in src/main.ts gives, word for word; the two could share this function.
 */
export async function connectRedis(redisUrl: string): Promise<Redis> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  // Errors reach the caller through the rejected commands; without a listener ioredis prints each one to stderr.
  // The listener keeps the last one: connect() itself rejects only with "Connection is closed.", this says why.
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // The URL may hold a password: name only host and port.
    const { hostname, port } = new URL(redisUrl);
    const reason = lastError?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot reach Redis at ${hostname}:${port || 6379} (${reason}): start one, or set REDIS_URL`, { cause: error });
  }
  return redis;
}
