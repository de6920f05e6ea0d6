import { spawn, type ChildProcess } from 'node:child_process';
import { constants, rmSync } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * The Redis the demo runs on: the user's own (REDIS_URL, or the default) when it answers, else a private
 * redis-server started from PATH for the length of the demo, else a message saying how to get one.
 */

export interface DemoRedis {
  /** How to connect. May hold a password: show `where` instead. */
  url: string;
  /** host:port, for people. */
  where: string;
  /** A redis-server started for the demo, stopped and its directory removed by stop(). */
  privateServer: { pid: number; port: number } | undefined;
  stop(): Promise<void>;
}

export type RedisSearch = { ok: true; redis: DemoRedis; notes: string[] } | { ok: false; message: string };

const PROBE_TIMEOUT_MS = 1_500;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export async function findDemoRedis(options: { url: string; path: string }): Promise<RedisSearch> {
  const where = hostAndPort(options.url);
  const problem = await unanswered(options.url);
  if (problem === undefined) return { ok: true, redis: { url: options.url, where, privateServer: undefined, stop: () => Promise.resolve() }, notes: [] };
  const absent = `no Redis answers at ${where} (${problem})`;
  const binary = await findOnPath('redis-server', options.path);
  if (binary === undefined) return { ok: false, message: noRedisMessage(absent) };
  const started = await startPrivateRedis(binary);
  if (!started.ok) return { ok: false, message: `${absent}, and the private redis-server (${binary}) did not start: ${started.message}` };
  const { redis } = started;
  return { ok: true, redis, notes: [`${absent}: started a private redis-server on ${redis.where} (pid ${redis.privateServer?.pid ?? '?'}) for this demo.`] };
}

/** undefined when Redis answers a PING, else what went wrong. */
async function unanswered(url: string): Promise<string | undefined> {
  let probe: Redis;
  try {
    // disconnectTimeout: ioredis otherwise keeps the process alive 2 s after disconnecting a socket already closed.
    probe = new Redis(url, {
      lazyConnect: true,
      connectTimeout: PROBE_TIMEOUT_MS,
      disconnectTimeout: 50,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  // The rejection itself often says only "Connection is closed."; the error event before it says why.
  let cause: Error | undefined;
  probe.on('error', (error: Error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return cause?.message ?? (error instanceof Error ? error.message : String(error));
  } finally {
    probe.disconnect();
  }
}

/** The URL may hold a password: only host and port are ever shown. */
function hostAndPort(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return 'the address in REDIS_URL';
  return `${parsed.hostname || '127.0.0.1'}:${parsed.port || 6379}`;
}

async function findOnPath(command: string, path: string): Promise<string | undefined> {
  for (const directory of path.split(delimiter).filter((entry) => entry !== '')) {
    const candidate = join(directory, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

type Started = { ok: true; redis: DemoRedis } | { ok: false; message: string };

async function startPrivateRedis(binary: string): Promise<Started> {
  const directory = await mkdtemp(join(tmpdir(), 'portable-watch-demo-'));
  const port = await freePort();
  const logFile = join(directory, 'redis.log');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory, '--logfile', logFile];
  // Its own process group, so a Ctrl-C at the terminal reaches only the demo, which stops Redis after its own
  // cleanup; Redis stopping first would leave that cleanup waiting on a dead connection.
  const child = spawn(binary, args, { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  // If the demo is made to exit at once (a second Ctrl-C), Redis must not outlive it.
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child, exited);
    await rm(directory, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  const problem = await waitUntilAnswering(url, child);
  if (problem !== undefined) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    const lastLine = log.trim().split('\n').at(-1);
    return { ok: false, message: lastLine ? `${problem}; its log ends: ${lastLine}` : problem };
  }
  return { ok: true, redis: { url, where: `127.0.0.1:${port}`, privateServer: { pid: child.pid ?? 0, port }, stop } };
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<string | undefined> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let problem: string | undefined = 'not started';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return 'it exited at once';
    problem = await unanswered(url);
    if (problem === undefined) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `it did not answer within ${START_TIMEOUT_MS / 1000}s (${problem})`;
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A port nothing listens on right now; Redis takes it a moment later (a clash is reported as a failed start). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function noRedisMessage(absent: string): string {
  return [
    'portable-watch demo needs a Redis, and found none:',
    `  - ${absent}, and`,
    '  - there is no redis-server on PATH to start a private one.',
    '',
    'Either install Redis, and the demo starts a private redis-server by itself:',
    '  sudo apt install redis-server      (Debian, Ubuntu)',
    '  brew install redis                 (macOS)',
    'or run one, then point REDIS_URL at it if it is not at redis://127.0.0.1:6379:',
    '  docker run --rm -p 6379:6379 redis:7',
    '  REDIS_URL=redis://127.0.0.1:6379 npm run demo',
  ].join('\n');
}
