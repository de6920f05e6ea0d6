import { describe, expect, it } from 'vitest';
import { hasHashTag, redisTargetFrom, unreachableMessage, type RedisTarget } from '../../src/redis/connect-redis.ts';

const SECRET = 's3cret-pw-8f1c';
const SENTINEL_SECRET = 'sentinel-pw-27ab';
const noAuth = { tls: false };

describe('redisTargetFrom', () => {
  it.each<[string, Record<string, string>, RedisTarget]>([
    [
      'nothing set: the local default',
      {},
      { mode: 'single', url: 'redis://127.0.0.1:6379', address: { host: '127.0.0.1', port: 6379 }, auth: noAuth, prefix: '{portable-watch}' },
    ],
    [
      'empty values count as unset',
      { REDIS_URL: '', REDIS_CLUSTER_NODES: ' ', REDIS_SENTINELS: '', QUEUE_PREFIX: '' },
      { mode: 'single', url: 'redis://127.0.0.1:6379', address: { host: '127.0.0.1', port: 6379 }, auth: noAuth, prefix: '{portable-watch}' },
    ],
    [
      'a TLS URL with user, encoded password and database',
      { REDIS_URL: `rediss://watcher:${SECRET}%40x@cache.internal:6380/2`, QUEUE_PREFIX: 'pw' },
      {
        mode: 'single',
        url: `rediss://watcher:${SECRET}%40x@cache.internal:6380/2`,
        address: { host: 'cache.internal', port: 6380 },
        auth: { username: 'watcher', password: `${SECRET}@x`, tls: true },
        prefix: 'pw',
      },
    ],
    [
      'cluster seed nodes, spaces and a trailing comma forgiven, port defaulted, IPv6 in brackets',
      { REDIS_CLUSTER_NODES: ' redis-1:7000, redis-2 ,[::1]:7002,' },
      {
        mode: 'cluster',
        nodes: [
          { host: 'redis-1', port: 7000 },
          { host: 'redis-2', port: 6379 },
          { host: '::1', port: 7002 },
        ],
        auth: noAuth,
        prefix: '{portable-watch}',
      },
    ],
    [
      'cluster with credentials and TLS from REDIS_URL, whose host is not used',
      { REDIS_CLUSTER_NODES: '10.0.0.1:6379', REDIS_URL: `rediss://:${SECRET}@unused:1`, QUEUE_PREFIX: 'team-{pw}' },
      { mode: 'cluster', nodes: [{ host: '10.0.0.1', port: 6379 }], auth: { password: SECRET, tls: true }, prefix: 'team-{pw}' },
    ],
    [
      'sentinels with the default master group and port',
      { REDIS_SENTINELS: 'sentinel-1:26380,sentinel-2' },
      {
        mode: 'sentinel',
        sentinels: [
          { host: 'sentinel-1', port: 26380 },
          { host: 'sentinel-2', port: 26379 },
        ],
        name: 'mymaster',
        db: 0,
        auth: noAuth,
        prefix: '{portable-watch}',
      },
    ],
    [
      'sentinels with a group name, both passwords and a database',
      { REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'watch-master', REDIS_SENTINEL_PASSWORD: SENTINEL_SECRET, REDIS_URL: `redis://:${SECRET}@unused/3` },
      {
        mode: 'sentinel',
        sentinels: [{ host: 's', port: 26379 }],
        name: 'watch-master',
        db: 3,
        auth: { password: SECRET, tls: false },
        sentinelPassword: SENTINEL_SECRET,
        prefix: '{portable-watch}',
      },
    ],
  ])('%s', (_, env, expected) => {
    expect(redisTargetFrom(env)).toEqual(expected);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['cluster and sentinels together', { REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' }, /^REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set/],
    ['a cluster prefix without a hash tag', { REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: 'portable-watch' }, /^QUEUE_PREFIX "portable-watch" has no hash tag: .* e\.g\. \{portable-watch\}/],
    ['a cluster prefix with an empty hash tag', { REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: '{}pw' }, /^QUEUE_PREFIX "\{\}pw" has no hash tag: .* e\.g\. \{pw\}/],
    ['a cluster prefix with an unclosed brace', { REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: 'pw{' }, /has no hash tag/],
    ['a database on a cluster', { REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: `redis://:${SECRET}@x/2` }, /^REDIS_URL selects database 2, but a Redis Cluster has only database 0/],
    ['a URL that is not redis://', { REDIS_URL: `http://:${SECRET}@x` }, /^REDIS_URL must look like redis:\/\/\[user:password@\]host:port\[\/db\]/],
    ['a URL without a host', { REDIS_URL: `redis://:${SECRET}@` }, /^REDIS_URL must look like/],
    ['host:port without a scheme', { REDIS_URL: 'localhost:6379' }, /^REDIS_URL must look like/],
    ['a database that is not a number', { REDIS_URL: `redis://:${SECRET}@x/cache` }, /^REDIS_URL names database "cache"/],
    ['credentials in the node list', { REDIS_CLUSTER_NODES: `a:1,redis://:${SECRET}@b:2` }, /^REDIS_CLUSTER_NODES: entry 2 holds credentials; .* put them in REDIS_URL/],
    ['credentials in the sentinel list', { REDIS_SENTINELS: `:${SECRET}@s:26379` }, /^REDIS_SENTINELS: entry 1 holds credentials/],
    ['a port that is not a number', { REDIS_SENTINELS: 's:port' }, /^REDIS_SENTINELS: "s:port" is not host:port \(e\.g\. redis-1:26379,redis-2:26379\)/],
    ['a port out of range', { REDIS_CLUSTER_NODES: 'a:70000' }, /^REDIS_CLUSTER_NODES: "a:70000" is not host:port/],
    ['a list of commas only', { REDIS_CLUSTER_NODES: ',,' }, /^REDIS_CLUSTER_NODES names no host:port$/],
  ])('refuses %s, naming no secret', (_, env, message) => {
    const error = catchError(() => redisTargetFrom({ REDIS_SENTINEL_PASSWORD: SENTINEL_SECRET, ...env }));
    expect(error.message).toMatch(message);
    for (const secret of [SECRET, SENTINEL_SECRET]) expect(String(error) + (error.stack ?? '')).not.toContain(secret);
  });
});

describe('hasHashTag', () => {
  it.each([
    ['{portable-watch}', true],
    ['team-{pw}', true],
    ['{a}{b}', true],
    ['a}{b}', true],
    ['portable-watch', false],
    ['{}pw', false],
    ['pw{', false],
    ['}pw{', false],
    ['', false],
  ])('%j: %s', (prefix, expected) => {
    expect(hasHashTag(prefix)).toBe(expected);
  });
});

describe('unreachableMessage', () => {
  it.each<[Record<string, string>, string]>([
    [{ REDIS_URL: `redis://:${SECRET}@10.1.2.3:6390` }, `cannot reach Redis at 10.1.2.3:6390 (WRONGPASS for ***): start one, or set REDIS_URL`],
    [
      { REDIS_CLUSTER_NODES: 'r1:7000,[::1]:7001', REDIS_URL: `redis://:${SECRET}@x` },
      'cannot reach the Redis Cluster at r1:7000, [::1]:7001 (WRONGPASS for ***): start it, or set REDIS_CLUSTER_NODES',
    ],
    [
      { REDIS_SENTINELS: 's1,s2:26380', REDIS_SENTINEL_PASSWORD: SECRET },
      'cannot reach Redis master "mymaster" through the sentinels at s1:26379, s2:26380 (WRONGPASS for ***): start them, or set REDIS_SENTINELS and REDIS_SENTINEL_NAME',
    ],
  ])('names only hosts and ports: %j', (env, expected) => {
    expect(unreachableMessage(redisTargetFrom(env), `WRONGPASS for ${SECRET}`)).toBe(expected);
  });
});

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`, { cause: error });
  }
  throw new Error('did not throw');
}
