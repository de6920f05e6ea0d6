import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { createOutageLog, type OutageLog } from './outage-log.ts';

/**
 * Where Redis is, read from the environment, and the one connection built from it: a single Redis (REDIS_URL,
 * the default), a Redis Cluster (REDIS_CLUSTER_NODES) or the master a Sentinel group names (REDIS_SENTINELS).
 * The rest of the program sees one `RedisConnection` whichever it is: every key we and BullMQ write starts with
 * the queue prefix, whose hash tag puts them all in one cluster slot, so Lua scripts, pipelines and MULTI that
 * touch several keys are legal on a cluster too.
 */

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** A hash tag keeps every key of a queue in one Redis Cluster slot, as BullMQ requires. */
export const DEFAULT_QUEUE_PREFIX = '{portable-watch}';
export const DEFAULT_SENTINEL_NAME = 'mymaster';

/** A single Redis (direct or found through Sentinel) or a Redis Cluster; BullMQ's `connection` takes both. */
export type RedisConnection = Redis | Cluster;

export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and TLS for the data nodes, from REDIS_URL's userinfo and scheme. */
export interface RedisAuth {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  | { mode: 'single'; url: string; address: HostPort; auth: RedisAuth; prefix: string }
  | { mode: 'cluster'; nodes: HostPort[]; auth: RedisAuth; prefix: string }
  | { mode: 'sentinel'; sentinels: HostPort[]; name: string; db: number; auth: RedisAuth; sentinelPassword?: string; prefix: string };

/** A worker waits out an outage (BullMQ requires `maxRetriesPerRequest: null`); a command fails fast instead. */
export type RedisRole = 'worker' | 'command';

/**
 * The longest any one command may take, queued while Redis is away or sent on a socket that went quiet: past it
 * the command fails (a check then moves no checkpoint and is tried again at its next interval) instead of holding
 * a check, a delivery or a lease for ever. Above BullMQ's longest blocking wait (10 s), so BZPOPMIN is never cut.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 15_000;
/** TCP keepalive probes find a peer that vanished without closing the connection (a failed-over host). */
const KEEPALIVE_MS = 10_000;

/**
 * Reads REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS, REDIS_SENTINEL_NAME, REDIS_SENTINEL_PASSWORD and
 * QUEUE_PREFIX (empty counts as unset). Throws an error a person can act on; no message holds a password.
 */
export function redisTargetFrom(env: Readonly<Record<string, string | undefined>>): RedisTarget {
  const prefix = env.QUEUE_PREFIX || DEFAULT_QUEUE_PREFIX;
  const clusterNodes = env.REDIS_CLUSTER_NODES?.trim() ?? '';
  const sentinels = env.REDIS_SENTINELS?.trim() ?? '';
  if (clusterNodes !== '' && sentinels !== '') {
    throw new Error('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set: set the one that describes your Redis (a cluster, or a master watched by sentinels)');
  }
  const url = parseRedisUrl(env.REDIS_URL || DEFAULT_REDIS_URL);
  if (clusterNodes !== '') {
    if (!hasHashTag(prefix)) {
      throw new Error(
        `QUEUE_PREFIX "${prefix}" has no hash tag: on a Redis Cluster every key of a queue must hash to one slot, as BullMQ requires; put the prefix in braces, e.g. {${prefix.replace(/[{}]/g, '') || 'portable-watch'}} (the default is ${DEFAULT_QUEUE_PREFIX})`,
      );
    }
    if (url.db !== 0) throw new Error(`REDIS_URL selects database ${url.db}, but a Redis Cluster has only database 0: remove the /${url.db}`);
    return { mode: 'cluster', nodes: parseHostPorts('REDIS_CLUSTER_NODES', clusterNodes, 6379), auth: url.auth, prefix };
  }
  if (sentinels !== '') {
    const sentinelPassword = env.REDIS_SENTINEL_PASSWORD || undefined;
    return {
      mode: 'sentinel',
      sentinels: parseHostPorts('REDIS_SENTINELS', sentinels, 26379),
      name: env.REDIS_SENTINEL_NAME || DEFAULT_SENTINEL_NAME,
      db: url.db,
      auth: url.auth,
      ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
      prefix,
    };
  }
  return { mode: 'single', url: url.text, address: url.address, auth: url.auth, prefix };
}

/**
 * Opens the connection and waits until it has answered once; otherwise throws "cannot reach Redis …" naming
 * hosts and ports only. The caller closes it (`quit()`). Connection errors after that go to `outage` (one
 * warning per outage, not one per reconnect attempt); pass the same one to every connection of a process.
 */
export async function connectRedis(
  target: RedisTarget,
  options: { log?: Logger; role: RedisRole; outage?: OutageLog },
): Promise<RedisConnection> {
  const client = createClient(target, options.role);
  const outage = options.outage ?? (options.log ? createOutageLog(options.log, { scrub: (text) => scrubSecrets(target, text) }) : undefined);
  const errors = rememberErrors(client, outage);
  // Only name and message survive: ioredis reply errors carry the failed command's arguments, for AUTH the password.
  const explain = (thrown: unknown): Error => {
    const source = errors.last() ?? (thrown instanceof Error ? thrown : new Error(String(thrown)));
    const copy = new Error(scrubSecrets(target, source.message));
    copy.name = source.name;
    return copy;
  };
  try {
    await untilConnected(client, explain);
  } catch (error) {
    client.disconnect();
    throw new Error(unreachableMessage(target, error instanceof Error ? error.message : String(error)), { cause: error });
  }
  return client;
}

/** The message for a Redis that does not answer; `reason` is scrubbed of the target's passwords. */
export function unreachableMessage(target: RedisTarget, reason: string): string {
  const why = scrubSecrets(target, reason);
  switch (target.mode) {
    case 'single':
      return `cannot reach Redis at ${hostPort(target.address)} (${why}): start one, or set REDIS_URL`;
    case 'cluster':
      return `cannot reach the Redis Cluster at ${target.nodes.map(hostPort).join(', ')} (${why}): start it, or set REDIS_CLUSTER_NODES`;
    case 'sentinel':
      return `cannot reach Redis master "${target.name}" through the sentinels at ${target.sentinels.map(hostPort).join(', ')} (${why}): start them, or set REDIS_SENTINELS and REDIS_SENTINEL_NAME`;
  }
}

/** `text` without the target's passwords: for anything a Redis error message may echo. */
export function scrubSecrets(target: RedisTarget, text: string): string {
  const secrets = [target.auth.password, target.mode === 'sentinel' ? target.sentinelPassword : undefined];
  return secrets.reduce<string>((scrubbed, secret) => (secret ? scrubbed.replaceAll(secret, '***') : scrubbed), text);
}

/** Redis hashes only the part between the first `{` and the next `}`, when that part is not empty. */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open + 1) > open + 1;
}

function parseRedisUrl(text: string): { text: string; address: HostPort; auth: RedisAuth; db: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid:');
  }
  // The URL may hold a password: the message never quotes it.
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new Error('REDIS_URL must look like redis://[user:password@]host:port[/db], or rediss://… for TLS');
  }
  const path = url.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(path)) throw new Error(`REDIS_URL names database "${path}"; it must be a number, e.g. redis://host:6379/0`);
  const auth: RedisAuth = { tls: url.protocol === 'rediss:' };
  if (url.username !== '') auth.username = decodeUserinfo(url.username);
  if (url.password !== '') auth.password = decodeUserinfo(url.password);
  return { text, address: { host: url.hostname, port: Number(url.port) || 6379 }, auth, db: Number(path) };
}

/** `p%40ss` is `p@ss`; a stray `%` is taken literally, as a password may contain one. */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseHostPorts(variable: string, list: string, defaultPort: number): HostPort[] {
  const entries = list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error(`${variable} names no host:port`);
  return entries.map((entry, index) => {
    if (entry.includes('@')) throw new Error(`${variable}: entry ${index + 1} holds credentials; list only host:port and put them in REDIS_URL (redis://user:password@…)`);
    const match = /^(?:\[([^\]]+)\]|([^:/\s[\]]+))(?::(\d{1,5}))?$/.exec(entry);
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    const host = match?.[1] ?? match?.[2];
    if (host === undefined || port < 1 || port > 65_535) throw new Error(`${variable}: "${entry}" is not host:port (e.g. redis-1:${defaultPort},redis-2:${defaultPort})`);
    return { host, port };
  });
}

function hostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function createClient(target: RedisTarget, role: RedisRole): RedisConnection {
  const maxRetriesPerRequest = role === 'worker' ? null : 1;
  // BullMQ's duplicates of this connection (its blocking ones) inherit all of these.
  const resilience: RedisOptions = {
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    keepAlive: KEEPALIVE_MS,
    // A managed Redis that fails over behind one host name demotes the old primary: its connections answer
    // writes with READONLY, and blocking reads end UNBLOCKED, until they are made again, to the new primary.
    reconnectOnError: (error) => (/^(READONLY|UNBLOCKED) /.test(error.message) ? 2 : false),
  };
  if (target.mode === 'single') return new Redis(target.url, { lazyConnect: true, maxRetriesPerRequest, ...resilience });
  const auth: RedisOptions = {
    ...(target.auth.username === undefined ? {} : { username: target.auth.username }),
    ...(target.auth.password === undefined ? {} : { password: target.auth.password }),
    ...(target.auth.tls ? { tls: {} } : {}),
  };
  if (target.mode === 'cluster') {
    // BullMQ reads maxRetriesPerRequest from redisOptions on a cluster: the node connections are the ones that retry.
    return new Cluster(target.nodes, { lazyConnect: true, redisOptions: { ...auth, maxRetriesPerRequest, ...resilience } });
  }
  return new Redis({
    ...auth,
    // Without this flag ioredis would reach the master in plain text even with `tls` set.
    ...(target.auth.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    sentinels: target.sentinels,
    name: target.name,
    db: target.db,
    ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
    lazyConnect: true,
    maxRetriesPerRequest,
    ...resilience,
  });
}

/**
 * Resolves once connected; rejects with `explain(error)`. Rejects on the first error too: through Sentinel,
 * connect() never settles while ioredis retries unreachable sentinels, and at start a failure is better reported
 * than waited out.
 */
function untilConnected(client: RedisConnection, explain: (error: unknown) => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) => {
      client.off('error', fail);
      reject(explain(error));
    };
    client.once('error', fail);
    client.connect().then(() => {
      client.off('error', fail);
      resolve();
    }, fail);
  });
}

/**
 * Reports connection errors to the outage log and keeps the last one: connect() itself rejects with "Connection
 * is closed." or "None of startup nodes is available"; the last error says why (ECONNREFUSED, WRONGPASS…).
 * Without a listener ioredis would print each error to stderr.
 */
function rememberErrors(client: RedisConnection, outage: OutageLog | undefined): { last(): Error | undefined } {
  let last: Error | undefined;
  client.on('error', (error: Error & { lastNodeError?: Error }) => {
    outage?.failed(error);
    // Summaries ("Failed to refresh slots cache.", "All sentinels are unreachable…") say less than what led to them.
    if (error.lastNodeError !== undefined) last = error.lastNodeError;
    else if (!(error.message.startsWith('All sentinels are unreachable') && last !== undefined)) last = error;
  });
  client.on('node error', (error: Error) => {
    last = error;
    outage?.failed(error);
  });
  client.on('sentinelError', (error: Error) => {
    last = error;
    outage?.failed(error);
  });
  client.on('ready', () => outage?.recovered());
  return { last: () => last };
}
