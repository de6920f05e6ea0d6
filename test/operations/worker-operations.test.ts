import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { dropPrefix, eventually, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { cliConfigYaml, logLines, startCli, type CliProcess } from '../support/run-cli.ts';

/** The worker as an operator runs it: a real process, its HTTP endpoint, its config file and signals. */

const TOKEN = 'pw-ops-token-5c1e9a';
const HOOK = '/services/T9/B9/ops-secret-31f0';

let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let prefix: string;
let env: Record<string, string>;
const processes: CliProcess[] = [];

function configText(flows: string[]): string {
  return cliConfigYaml(simulator.url ?? '', flows);
}

/**
 * Replaces the worker's config file in one step, as editors and ConfigMaps do: written in place, the watcher
 * may read it half-written and report only the problems of the part it saw.
 */
async function replaceConfig(text: string): Promise<void> {
  const temporary = join(dir, `.flows.yaml.${process.pid}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, join(dir, 'flows.yaml'));
}

beforeEach(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  await simulator.listen();
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-ops-'));
  prefix = uniquePrefix('ops');
  for (const id of [301, 302, 303]) simulator.addFlow({ id, displayName: `Flow ${id}` });
  await writeFile(join(dir, 'flows.yaml'), configText(['  - { id: 301, name: Orders }', '  - { id: 302 }']));
  env = {
    CONFIG_PATH: join(dir, 'flows.yaml'),
    PORTABLE_API_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: slack.url(HOOK),
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
  };
});

afterEach(async () => {
  for (const cli of processes.splice(0)) cli.child.kill('SIGKILL');
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
  const redis = new Redis(testRedisUrl());
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** Starts the worker and waits until its log names the port it serves on. */
async function startWorker(extraEnv: Record<string, string> = {}): Promise<{ cli: CliProcess; base: string }> {
  const cli = startCli(['start'], { ...env, ...extraEnv });
  processes.push(cli);
  const port = await eventually(() => /"port":(\d+),"msg":"serving/.exec(cli.stdout())?.[1], 'the HTTP endpoint', 15_000);
  return { cli, base: `http://127.0.0.1:${port}` };
}

async function get(url: string): Promise<{ status: number; body: string; contentType: string | null }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') };
}

/** The value of one sample in Prometheus text format, e.g. metric('…', 'portable_watch_checks_total{outcome="ok"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('HTTP endpoint', () => {
  it('serves /healthz, /readyz once schedules are reconciled, and /metrics with every family the issue names', async () => {
    simulator.addAttempt(301, { state: 'failed', errors: ['Source credentials expired'], createdAt: Date.now() - 60_000 });
    const { cli, base } = await startWorker();
    expect(await get(`${base}/healthz`)).toMatchObject({ status: 200, body: 'ok\n' });
    await eventually(async () => ((await get(`${base}/readyz`)).status === 200 ? true : undefined), 'ready');
    await eventually(() => (slack.posts.length >= 1 ? true : undefined), 'the failed alert', 15_000);

    const text = await eventually(async () => {
      const { body } = await get(`${base}/metrics`);
      const delivered = sample(body, 'portable_watch_notifications_total{kind="failed",notifier="oncall",outcome="delivered"}');
      return delivered === 1 && (sample(body, 'portable_watch_checks_total{outcome="ok"}') ?? 0) >= 1 ? body : undefined;
    }, 'metrics of the delivered alert');
    const { contentType } = await get(`${base}/metrics`);
    expect(contentType).toContain('text/plain');
    expect(sample(text, 'portable_watch_checks_total{outcome="alerted"}')).toBe(1);
    expect(sample(text, 'portable_watch_checks_total{outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'portable_watch_check_duration_seconds_count{outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'portable_watch_portable_requests_total{endpoint="run-attempts",result="ok"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'portable_watch_alerts_total{kind="failed"}')).toBe(1);
    expect(sample(text, 'portable_watch_notification_queue_jobs{state="wait"}')).toBe(0);
    expect(sample(text, 'portable_watch_notification_oldest_waiting_seconds')).toBe(0);
    // Each flow's scheduler always holds its next check, waiting or running.
    const checkJobs = ['wait', 'prioritized', 'delayed', 'active'].map((state) => sample(text, `portable_watch_check_queue_jobs{state="${state}"}`) ?? 0);
    expect(checkJobs.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(2);
    const age = sample(text, 'portable_watch_flow_last_success_age_seconds{account="default",flow="301"}');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(10);
    expect(sample(text, 'portable_watch_config_last_reload_successful')).toBe(1);
    expect(text).toContain('# TYPE portable_watch_config_reloads_total counter');
    // Every configured flow has an age from the start; prom-client's process metrics keep their usual names.
    expect(sample(text, 'portable_watch_flow_last_success_age_seconds{account="default",flow="302"}')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toContain('portable_watch_build_info{version="0.1.0"} 1');
    // Bounded labels: no attempt ids, no URLs, no secrets.
    expect(text).not.toMatch(/attempt\w*="|http:\/\/|ops-secret|pw-ops-token/);
    expect((await get(`${base}/nope`)).status).toBe(404);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('/readyz answers 503 with the reason when Redis goes away, and 200 again when it is back', async () => {
    const redisPort = await freePort();
    const redisDir = await mkdtemp(join(tmpdir(), 'pw-ops-redis-'));
    const startRedis = () => spawnRedis(redisPort, redisDir);
    let redis = await startRedis();
    try {
      const { base } = await startWorker({ REDIS_URL: `redis://127.0.0.1:${redisPort}` });
      await eventually(async () => ((await get(`${base}/readyz`)).status === 200 ? true : undefined), 'ready');
      redis.kill('SIGKILL');
      const notReady = await eventually(async () => {
        const answer = await get(`${base}/readyz`);
        return answer.status === 503 ? answer : undefined;
      }, 'not ready');
      expect(notReady.body).toBe('not ready: Redis does not answer\n');
      expect((await get(`${base}/healthz`)).status).toBe(200);
      redis = await startRedis();
      await eventually(async () => ((await get(`${base}/readyz`)).status === 200 ? true : undefined), 'ready again', 20_000);
    } finally {
      redis.kill('SIGKILL');
      await rm(redisDir, { recursive: true, force: true });
    }
  });

  it('refuses to start, naming the variable, when the HTTP port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const cli = startCli(['start'], { ...env, HTTP_PORT: String(port) });
      processes.push(cli);
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain(`127.0.0.1:${port} is already in use: set HTTP_PORT`);
    } finally {
      holder.close();
    }
  });
  it.each([
    ['HTTP_PORT', 'eighty', 'HTTP_PORT must be a port number from 0 to 65535, got "eighty"'],
    ['CHECK_CONCURRENCY', '0', 'CHECK_CONCURRENCY must be a whole number from 1 to 10000, got "0"'],
    ['UI_ENABLED', 'maybe', 'UI_ENABLED must be true or false, got "maybe"'],
    ['UI_BASIC_AUTH', 'admin:plain-secret-77', 'UI_BASIC_AUTH: the part after the user is not a bcrypt'],
    ['UI_WRITE_TOKEN', 'short', 'UI_WRITE_TOKEN must be at least 12 characters'],
  ])('refuses to start when %s is %s', async (name, value, message) => {
    const cli = startCli(['start'], { ...env, [name]: value });
    processes.push(cli);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain(message);
    expect(cli.stdout() + cli.stderr()).not.toContain('plain-secret-77');
  });

  it('serves the status page beside the probes, says where, and not with UI_ENABLED=false', async () => {
    const { cli, base } = await startWorker({ HTTP_PORT: '0', UI_WRITE_TOKEN: 'write-token-0123456789' });
    const served = await eventually(() => logLines(cli).find((line) => line.msg === 'serving the status page'), 'the page announced');
    expect(served.url).toMatch(/^http:\/\/(localhost|127\.0\.0\.1):\d+\/$/);
    expect(served.access).toBe('open, silences can be changed with UI_WRITE_TOKEN');
    const page = await eventually(async () => {
      const body = (await get(`${base}/`)).body;
      return body.includes('data-flow="301"') && body.includes('data-flow="302"') ? body : undefined;
    }, 'both flows on the page');
    expect(page).toContain('Orders');
    expect(cli.stdout() + cli.stderr()).not.toContain('write-token-0123456789');
    expect(page).not.toContain('write-token-0123456789');

    const off = await startWorker({ HTTP_PORT: '0', UI_ENABLED: 'false' });
    expect((await get(`${off.base}/`)).status).toBe(404);
    expect((await get(`${off.base}/flows/301`)).status).toBe(404);
    expect((await get(`${off.base}/healthz`)).status).toBe(200);
    expect(logLines(off.cli).some((line) => line.msg === 'serving the status page')).toBe(false);
  });
});

describe('config reload', () => {
  it('applies a valid edit of the file without a restart: a new flow is checked, a removed one is not', async () => {
    const { cli, base } = await startWorker();
    await eventually(() => (simulator.requestCount({ flowId: 302 }) > 0 ? true : undefined), 'flow 302 checked');
    await replaceConfig(configText(['  - { id: 301, name: Orders }', '  - { id: 303 }']));
    const reloaded = await eventually(() => logLines(cli).find((line) => line.msg === 'config reloaded'), 'the reload', 15_000);
    expect(reloaded).toMatchObject({ trigger: 'file-change', added: 1, removed: 1, flows: 2 });
    await eventually(() => (simulator.requestCount({ flowId: 303 }) > 0 ? true : undefined), 'flow 303 checked');
    const before302 = simulator.requestCount({ flowId: 302 });
    simulator.addAttempt(303, { state: 'failed', errors: ['Destination table is locked'], createdAt: Date.now() });
    await eventually(() => (slack.posts.length >= 1 ? true : undefined), 'the alert of the new flow');
    expect(JSON.stringify(slack.posts[0]?.body)).toContain('Destination table is locked');
    // At most one check of 302 may have been in flight when the schedule went away.
    expect(simulator.requestCount({ flowId: 302 }) - before302).toBeLessThanOrEqual(1);
    const metrics = (await get(`${base}/metrics`)).body;
    expect(sample(metrics, 'portable_watch_config_reloads_total{result="success"}')).toBe(1);
    expect(metrics).not.toContain('flow="302"');
  });

  it('refuses an invalid file, logs every problem, counts it and keeps running on the old config; SIGHUP reloads', async () => {
    const { cli, base } = await startWorker();
    await eventually(async () => ((await get(`${base}/readyz`)).status === 200 ? true : undefined), 'ready');
    const broken = configText(['  - { id: 301, pollEvery: soon }', '  - { id: 302, notify: [pager] }']);
    await replaceConfig(broken);
    await eventually(() => logLines(cli).find((line) => line.msg === 'config reload refused; still running the previous config'), 'the refusal', 15_000);
    const problems = logLines(cli)
      .filter((line) => line.msg === 'config problem')
      .map((line) => String(line.problem));
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain('flows[0].pollEvery');
    expect(problems.join('\n')).toContain('pager');
    let metrics = (await get(`${base}/metrics`)).body;
    expect(sample(metrics, 'portable_watch_config_reloads_total{result="failure"}')).toBe(1);
    expect(sample(metrics, 'portable_watch_config_last_reload_successful')).toBe(0);
    expect((await get(`${base}/readyz`)).status).toBe(200);
    // The status page's header says so, with what to fix.
    const page = (await get(`${base}/`)).body;
    expect(page).toContain('config reload refused');
    expect(page).toContain('flows[0].pollEvery');

    // Still watching both flows with the old settings.
    simulator.addAttempt(302, { state: 'failed', errors: ['Quota exceeded'], createdAt: Date.now() });
    await eventually(() => (slack.posts.length >= 1 ? true : undefined), 'an alert on the old config');

    // A file fixed, then SIGHUP: applied even though the watcher may have seen it first.
    await replaceConfig(configText(['  - { id: 301 }', '  - { id: 302 }', '  - { id: 303 }']));
    cli.child.kill('SIGHUP');
    await eventually(() => (simulator.requestCount({ flowId: 303 }) > 0 ? true : undefined), 'flow 303 checked after the fix');
    metrics = await eventually(async () => {
      const body = (await get(`${base}/metrics`)).body;
      return sample(body, 'portable_watch_config_last_reload_successful') === 1 ? body : undefined;
    }, 'a successful reload');
    expect(sample(metrics, 'portable_watch_config_reloads_total{result="success"}')).toBeGreaterThanOrEqual(1);
    expect(cli.stdout() + cli.stderr()).not.toMatch(/pw-ops-token|ops-secret/);
  });
});

describe('graceful shutdown', () => {
  it('a check hanging on Portable is aborted by SIGTERM (exit 0 within 10 s); after a restart the alert goes out once', async () => {
    simulator.addAttempt(301, { state: 'failed', errors: ['Schema drift on column id'], createdAt: Date.now() - 60_000 });
    simulator.injectFault({ kind: 'delay', ms: 60_000 }, { endpoint: 'run' });
    const first = await startWorker();
    await eventually(() => (simulator.requestCount({ flowId: 301 }) > 0 ? true : undefined), 'a check in flight');
    const stoppedAt = Date.now();
    first.cli.child.kill('SIGTERM');
    expect(await first.cli.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(slack.posts).toHaveLength(0);

    simulator.clearFaults();
    const second = await startWorker();
    await eventually(() => (slack.posts.length >= 1 ? true : undefined), 'the alert after the restart', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(slack.posts).toHaveLength(1);
    second.cli.child.kill('SIGTERM');
    expect(await second.cli.exited).toBe(0);
  });

  it('a second signal exits at once', async () => {
    simulator.injectFault({ kind: 'delay', ms: 60_000 }, { endpoint: 'run' });
    const { cli } = await startWorker();
    await eventually(() => (simulator.requestCount({ flowId: 301 }) > 0 ? true : undefined), 'a check in flight');
    cli.child.kill('SIGTERM');
    await eventually(() => (cli.stdout().includes('"msg":"shutting down"') ? true : undefined), 'shutdown begun');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(1);
    expect(cli.stdout()).toContain('second signal: exiting at once');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function spawnRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  probe.on('error', () => undefined);
  await eventually(async () => ((await probe.ping().catch(() => undefined)) === 'PONG' ? true : undefined), 'private redis');
  probe.disconnect();
  return child;
}
