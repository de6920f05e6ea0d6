/**
 * Real Redis topologies for tests, from the `redis-server` and `redis-cli` on PATH: a three-master Redis Cluster,
 * and a master watched by one Sentinel. Each lives in a temp dir of its own on free ports and is gone after
 * `close()`. No persistence: nothing is written but the cluster's and the sentinel's own config files.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from '../support/redis.ts';

export interface RedisTopology {
  /** Comma-separated host:port: the cluster's nodes, or the sentinels. */
  addresses: string;
  close(): Promise<void>;
}

const run = promisify(execFile);

export interface RedisClusterTopology extends RedisTopology {
  /** Kills (SIGKILL) the master serving `key`'s slot; resolves with its port. */
  killMasterOf(key: string): Promise<number>;
  /** Resolves once a surviving node reports the dead master's slot served by a new master. */
  promoted(deadPort: number, key: string): Promise<void>;
}

/**
 * Three masters, and with `replicas: 1` one replica each; `nodeTimeoutMs` is how soon a dead master's replica takes
 * over (default 5 s, as before).
 */
export async function startRedisCluster(password: string, options: { replicas?: 0 | 1; nodeTimeoutMs?: number } = {}): Promise<RedisClusterTopology> {
  const servers = await startServers('pw-cluster-');
  const replicas = options.replicas ?? 0;
  try {
    const ports = await Promise.all(Array.from({ length: 3 * (1 + replicas) }, () => freePort()));
    for (const port of ports) {
      await servers.start('data', [
        ...['--port', String(port), '--cluster-port', String(await freePort()), '--cluster-enabled', 'yes'],
        ...['--cluster-config-file', join(servers.dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 5_000)],
        ...['--requirepass', password, '--masterauth', password],
      ]);
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], {
      env: { ...process.env, REDISCLI_AUTH: password },
      timeout: 15_000,
    });
    for (const port of ports) {
      await probe(port, password, async (redis) => ((await redis.cluster('INFO')).includes('cluster_state:ok') ? true : undefined), 'cluster_state:ok');
      // Every replica known as one, and in sync: a replica that never finished its first sync refuses to take over
      // ("disconnected from master for longer than allowed").
      await probe(port, password, async (redis) => {
        const nodes = String(await redis.cluster('NODES'));
        const replicasSeen = nodes.split('\n').filter((line) => / (myself,)?slave /.test(line)).length;
        if (replicasSeen < 3 * replicas) return undefined;
        const role = await redis.info('replication');
        return role.includes('role:master') || role.includes('master_link_status:up') ? true : undefined;
      }, 'replicas in sync');
    }
    const ownerOf = async (port: number, key: string): Promise<number | undefined> => {
      const redis = new Redis(port, '127.0.0.1', { password, lazyConnect: true, maxRetriesPerRequest: 0 });
      redis.on('error', () => undefined);
      try {
        const slot = Number(await redis.cluster('KEYSLOT', key));
        const ranges = await redis.cluster('SLOTS');
        return ranges.find(([first, last]) => slot >= first && slot <= last)?.[2]?.[1];
      } finally {
        redis.disconnect();
      }
    };
    return {
      addresses: addresses.join(','),
      async killMasterOf(key) {
        const port = await ownerOf(ports[0] ?? 0, key);
        if (port === undefined) throw new Error(`no master serves the slot of ${key}`);
        await servers.kill(port);
        return port;
      },
      async promoted(deadPort, key) {
        const survivor = ports.find((port) => port !== deadPort) ?? 0;
        await eventually(async () => {
          const owner = await ownerOf(survivor, key).catch(() => undefined);
          return owner !== undefined && owner !== deadPort ? true : undefined;
        }, `a replica to take over from ${deadPort}`, 30_000);
      },
      close: () => servers.close(),
    };
  } catch (error) {
    await servers.close();
    throw error;
  }
}

export interface RedisSentinelTopology extends RedisTopology {
  masterPort: number;
  /** Kills (SIGKILL) the master. */
  killMaster(): Promise<void>;
  /** Resolves once the sentinel names another master than the first one. */
  promoted(): Promise<void>;
}

/**
 * A master with `password` and one sentinel (itself guarded by `sentinelPassword`) that names it `masterName`.
 * With `replica: true`, also a replica the sentinel promotes `downAfterMs` after the master stops answering.
 */
export async function startRedisSentinel(
  masterName: string,
  password: string,
  sentinelPassword: string,
  options: { replica?: boolean; downAfterMs?: number } = {},
): Promise<RedisSentinelTopology> {
  const servers = await startServers('pw-sentinel-');
  try {
    const masterPort = await freePort();
    await servers.start('data', ['--port', String(masterPort), '--requirepass', password, '--masterauth', password]);
    if (options.replica === true) {
      const replicaPort = await freePort();
      await servers.start('data', ['--port', String(replicaPort), '--requirepass', password, '--masterauth', password, '--replicaof', '127.0.0.1', String(masterPort)]);
      await probe(replicaPort, password, async (redis) => ((await redis.info('replication')).includes('master_link_status:up') ? true : undefined), 'the replica to sync');
    }
    const sentinelPort = await freePort();
    const config = join(servers.dir, 'sentinel.conf');
    // Sentinel rewrites its config file, so it gets one of its own in the temp dir.
    await writeFile(
      config,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${servers.dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
        `sentinel auth-pass ${masterName} ${password}`,
        ...(options.downAfterMs === undefined ? [] : [`sentinel down-after-milliseconds ${masterName} ${options.downAfterMs}`, `sentinel failover-timeout ${masterName} 10000`]),
        `requirepass ${sentinelPassword}`,
        '',
      ].join('\n'),
    );
    await servers.start('sentinel', [config, '--sentinel']);
    await probe(sentinelPort, sentinelPassword, async (redis) => {
      const master = (await redis.call('SENTINEL', 'get-master-addr-by-name', masterName)) as string[] | null;
      return master?.[1] === String(masterPort) ? true : undefined;
    }, 'the sentinel to know the master');
    if (options.replica === true) {
      await probe(sentinelPort, sentinelPassword, async (redis) => {
        const found = (await redis.call('SENTINEL', 'replicas', masterName)) as unknown[];
        return found.length > 0 ? true : undefined;
      }, 'the sentinel to know the replica');
    }
    return {
      addresses: `127.0.0.1:${sentinelPort}`,
      masterPort,
      killMaster: () => servers.kill(masterPort),
      promoted: () =>
        probe(sentinelPort, sentinelPassword, async (redis) => {
          const master = (await redis.call('SENTINEL', 'get-master-addr-by-name', masterName)) as string[] | null;
          return master !== null && master[1] !== String(masterPort) ? true : undefined;
        }, 'the sentinel to promote the replica'),
      close: () => servers.close(),
    };
  } catch (error) {
    await servers.close();
    throw error;
  }
}

/** One Redis without persistence on a free port, that a test can restart empty (as a Redis without AOF restarts). */
export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server (SIGKILL) and starts a new, empty one on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const servers = await startServers('pw-redis-');
  try {
    const port = await freePort();
    const args = ['--port', String(port)];
    await servers.start('data', args);
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      async restart() {
        await servers.stop();
        await servers.start('data', args);
      },
      close: () => servers.close(),
    };
  } catch (error) {
    await servers.close();
    throw error;
  }
}

/** A primary and its replica, no sentinel: what a managed Redis runs behind its one host name. */
export interface ReplicatedPair {
  primaryPort: number;
  replicaPort: number;
  /** Kills (SIGKILL) the primary. */
  killPrimary(): Promise<void>;
  /** Makes the replica a primary (REPLICAOF NO ONE), as the managed service does at a failover. */
  promoteReplica(): Promise<void>;
  /** Makes the old primary a replica of the promoted one: it answers writes with READONLY from then on. */
  demotePrimary(): Promise<void>;
  close(): Promise<void>;
}

export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const servers = await startServers('pw-pair-');
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    await servers.start('data', ['--port', String(primaryPort)]);
    await servers.start('data', ['--port', String(replicaPort), '--replicaof', '127.0.0.1', String(primaryPort)]);
    await probe(replicaPort, '', async (redis) => ((await redis.info('replication')).includes('master_link_status:up') ? true : undefined), 'the replica to sync');
    return {
      primaryPort,
      replicaPort,
      killPrimary: () => servers.kill(primaryPort),
      async promoteReplica() {
        const redis = new Redis(replicaPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await redis.replicaof('NO', 'ONE');
        } finally {
          redis.disconnect();
        }
      },
      async demotePrimary() {
        const redis = new Redis(primaryPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await redis.replicaof('127.0.0.1', String(replicaPort));
        } finally {
          redis.disconnect();
        }
      },
      close: () => servers.close(),
    };
  } catch (error) {
    await servers.close();
    throw error;
  }
}

/** A port nothing listens on (at the moment of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** redis-server processes sharing one temp dir; `close` stops every one and removes the dir. */
async function startServers(label: string) {
  const dir = await mkdtemp(join(tmpdir(), label));
  const children: ChildProcess[] = [];
  const byPort = new Map<number, ChildProcess>();
  return {
    dir,
    /** Kills (SIGKILL) the data node started on `port` and waits for it to exit. */
    async kill(port: number): Promise<void> {
      const child = byPort.get(port);
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    /** Starts `redis-server ARGS…` and waits until its log says it is ready. A sentinel's config file is in ARGS. */
    async start(kind: 'data' | 'sentinel', args: string[]): Promise<void> {
      const settings = kind === 'data' ? ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'] : [];
      const child = spawn('redis-server', [...args, ...settings], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const port = args.indexOf('--port');
      if (port >= 0) byPort.set(Number(args[port + 1]), child);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      await new Promise<void>((resolve, reject) => {
        child.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            error.code === 'ENOENT'
              ? new Error('redis-server is not on PATH: the Redis Cluster and Sentinel tests need it (e.g. apt-get install redis-server)', { cause: error })
              : error,
          ),
        );
        child.once('exit', (code) => reject(new Error(`redis-server ${args.join(' ')} exited with ${code}:\n${output}`)));
        // Ready when it says so: "Ready to accept connections" (data node) or "+monitor master" (sentinel).
        const timer = setInterval(() => {
          if (/Ready to accept connections|\+monitor master/.test(output)) {
            clearInterval(timer);
            resolve();
          }
        }, 20);
        child.once('exit', () => clearInterval(timer));
      });
    },
    async close(): Promise<void> {
      await this.stop();
      await rm(dir, { recursive: true, force: true });
    },
    /** Kills every server started so far (SIGKILL) and waits for them to exit. */
    async stop(): Promise<void> {
      await Promise.all(
        children.splice(0).map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}

async function probe(port: number, password: string, check: (redis: Redis) => Promise<true | undefined>, what: string): Promise<void> {
  const redis = new Redis(port, '127.0.0.1', { ...(password === '' ? {} : { password }), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  redis.on('error', () => undefined);
  try {
    await eventually(() => check(redis).catch(() => undefined), `${what} on port ${port}`, 15_000);
  } finally {
    redis.disconnect();
  }
}
