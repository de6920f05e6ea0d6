import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { freePort } from '../redis/redis-topology.ts';
import { eventually } from '../support/redis.ts';
import { cliConfigYaml, startCli, type CliProcess } from '../support/run-cli.ts';

/**
 * Redis goes away for 20 s under a running `portable-watch start` — stopped, as `docker compose restart redis`
 * does, then back on the same port with its data (append-only file, as in docker-compose.yml) — while checks are in
 * flight and Prometheus scrapes /metrics. The log tells the outage in two lines, where it used to write one line
 * per check in flight every 3 s, one per failed job and one per metrics probe (31 here, 335 for a user's 20 s).
 */

const TOKEN = 'pw-outage-token-5e02';
const OUTAGE_MS = 20_000;
const FLOWS = [2001, 2002, 2003, 2004, 2005];
const GONE = 'Redis cannot be reached; checks and alerts wait for it';
const STILL_GONE = 'Redis still cannot be reached';
const BACK = 'Redis answers again';
/** Every line on stdout and stderr from the moment Redis is killed until checking is seen to go on after it. */
const MOST_LINES = 4;

let dir: string;
let redisPort: number;
let redisServer: ChildProcess | undefined;
let simulator: PortableSimulator;
let slack: SlackReceiver;
let worker: CliProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-outage-'));
  redisPort = await freePort();
  redisServer = await startRedisServer(redisPort, dir);
  simulator = createPortableSimulator({ token: TOKEN });
  slack = await startSlackReceiver();
});

afterEach(async () => {
  worker?.child.kill('SIGKILL');
  worker = undefined;
  await stopRedisServer(redisServer);
  await Promise.all([simulator.close(), slack.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** A redis-server on `port` keeping its data in `dir` across restarts, as docker-compose.yml runs it. */
async function startRedisServer(port: number, directory: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${output}`);
    return output.includes('Ready to accept connections') ? true : undefined;
  }, 'redis-server to accept connections');
  return child;
}

async function stopRedisServer(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** `waiting`, its failure saying what the worker wrote meanwhile. */
async function explained<T>(waiting: Promise<T>, output: () => string): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}${output()}`, { cause: error });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nonEmpty = (text: string) => text.split('\n').filter((line) => line !== '');

describe('a Redis outage under a running worker', () => {
  it('is told in one line when it starts, none while it lasts (under 30 s), one when it ends; checking goes on', async () => {
    const apiUrl = await simulator.listen();
    for (const id of FLOWS) simulator.addFlow({ id, displayName: `Flow ${id}` });
    simulator.addAttempt(2001, { state: 'failed', errors: ['Failed before the outage'], createdAt: Date.now() - 60_000 });
    // Portable answering in 2 s keeps checks in flight whenever Redis goes, as with a real account's latency.
    simulator.injectFault({ kind: 'delay', ms: 2_000 }, { endpoint: 'run' });
    await writeFile(join(dir, 'flows.yaml'), cliConfigYaml(apiUrl, FLOWS.map((id) => `  - { id: ${id}, name: Flow ${id} }`)));
    const started = startCli(['start'], {
      CONFIG_PATH: join(dir, 'flows.yaml'),
      PORTABLE_API_TOKEN: TOKEN,
      SLACK_WEBHOOK_URL: slack.url('/services/T1/B1/outage'),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    worker = started;
    const port = await eventually(() => /"port":(\d+),"msg":"serving/.exec(started.stdout())?.[1], 'the HTTP endpoint', 15_000);
    // Its log line, not only Slack's receipt: the line comes after, and belongs before the outage.
    await eventually(() => (started.stdout().includes('"msg":"alert delivered"') ? true : undefined), 'the alert sent before the outage', 15_000);

    // Prometheus keeps scraping through the outage.
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text(), () => undefined);
        await sleep(2_000);
      }
    })();

    const mark = { stdout: started.stdout().length, stderr: started.stderr().length };
    const since = () => `\nthe worker since Redis was killed:\n${started.stdout().slice(mark.stdout)}${started.stderr().slice(mark.stderr)}`;
    await stopRedisServer(redisServer);
    await sleep(OUTAGE_MS);
    redisServer = await startRedisServer(redisPort, dir);
    await explained(eventually(() => (started.stdout().includes(`"msg":"${BACK}"`) ? true : undefined), 'Redis to be seen again', 15_000), since);

    // Checking goes on: a run that fails after the outage is alerted.
    simulator.addAttempt(2002, { state: 'failed', errors: ['Failed after the outage'], createdAt: Date.now() });
    await explained(eventually(() => (slack.posts.length >= 2 ? true : undefined), 'the alert for the run that failed after the outage', 20_000), since);
    scraping = false;
    await scraper;
    const stdout = nonEmpty(started.stdout().slice(mark.stdout));
    const stderr = nonEmpty(started.stderr().slice(mark.stderr));
    started.child.kill('SIGTERM');
    expect(await started.exited, since()).toBe(0);

    expect(stderr, since()).toEqual([]);
    const lines = stdout.map((line) => JSON.parse(line) as { level: number; msg: string; downSeconds?: number });
    const messages = lines.map((line) => line.msg);
    expect(messages[0], since()).toBe(GONE);
    expect(messages.filter((message) => message === GONE)).toHaveLength(1);
    expect(messages).not.toContain(STILL_GONE);
    expect(messages.filter((message) => message === BACK)).toHaveLength(1);
    // Nothing else while it lasts...
    expect(messages.indexOf(BACK), since()).toBe(1);
    expect(lines[1]?.downSeconds).toBeGreaterThanOrEqual(OUTAGE_MS / 1000);
    // ...and, after it, no more than the news of checking going on: the alert delivered.
    expect(messages.length, messages.join('\n')).toBeLessThanOrEqual(MOST_LINES);
    expect(messages.filter((message) => message !== 'alert delivered').length, messages.join('\n')).toBe(2);
  }, 75_000);
});
