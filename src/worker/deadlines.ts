import type { RedisConnection } from '../redis/connect-redis.ts';

/* Time limits on what the watch service waits for: a Redis that accepts the socket and never answers. */

/** How long the watchdog's new connection may take to answer; one that cannot is tried again later. */
export const RECONNECT_TIMEOUT_MS = 10_000;

/**
 * A new connection from `connect`, or an error after `ms`: a Redis that accepts the socket and never answers must
 * not hold the watchdog. A connection that arrives too late is closed.
 */
export async function connectWithin(connect: () => Promise<RedisConnection>, ms: number): Promise<RedisConnection> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const connecting = connect().then((connection) => {
    if (late) connection.disconnect();
    return connection;
  });
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new Error(`no new Redis connection answered within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([connecting, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`, or undefined when it takes longer than `ms` (a stuck connection must not stall the caller too). */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise.catch(() => undefined), deadline]).finally(() => clearTimeout(timer));
}
