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

export async function startRedisCluster(password: string): Promise<RedisTopology> {
  const servers = await startServers('pw-cluster-');
  try {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    for (const port of ports) {
      await servers.start('data', [
        ...['--port', String(port), '--cluster-port', String(await freePort()), '--cluster-enabled', 'yes'],
        ...['--cluster-config-file', join(servers.dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000'],
        ...['--requirepass', password, '--masterauth', password],
      ]);
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      env: { ...process.env, REDISCLI_AUTH: password },
      timeout: 15_000,
    });
    for (const port of ports) {
      await probe(port, password, async (redis) => ((await redis.cluster('INFO')).includes('cluster_state:ok') ? true : undefined), 'cluster_state:ok');
    }
    return { addresses: addresses.join(','), close: () => servers.close() };
  } catch (error) {
    await servers.close();
    throw error;
  }
}

/** A master with `password` and one sentinel (itself guarded by `sentinelPassword`) that names it `masterName`. */
export async function startRedisSentinel(masterName: string, password: string, sentinelPassword: string): Promise<RedisTopology> {
  const servers = await startServers('pw-sentinel-');
  try {
    const masterPort = await freePort();
    await servers.start('data', ['--port', String(masterPort), '--requirepass', password]);
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
        `requirepass ${sentinelPassword}`,
        '',
      ].join('\n'),
    );
    await servers.start('sentinel', [config, '--sentinel']);
    await probe(sentinelPort, sentinelPassword, async (redis) => {
      const master = (await redis.call('SENTINEL', 'get-master-addr-by-name', masterName)) as string[] | null;
      return master?.[1] === String(masterPort) ? true : undefined;
    }, 'the sentinel to know the master');
    return { addresses: `127.0.0.1:${sentinelPort}`, close: () => servers.close() };
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
  return {
    dir,
    /** Starts `redis-server ARGS…` and waits until its log says it is ready. A sentinel's config file is in ARGS. */
    async start(kind: 'data' | 'sentinel', args: string[]): Promise<void> {
      const settings = kind === 'data' ? ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'] : [];
      const child = spawn('redis-server', [...args, ...settings], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
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
  const redis = new Redis(port, '127.0.0.1', { password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  redis.on('error', () => undefined);
  try {
    await eventually(() => check(redis).catch(() => undefined), `${what} on port ${port}`, 15_000);
  } finally {
    redis.disconnect();
  }
}
