import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { WORKER_NODE_FLAGS } from '../../src/worker/node-flags.ts';
import type { CliProcess } from '../support/run-cli.ts';
import { dropPrefix, eventually, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { readDockerIgnore } from './docker-ignore.ts';
import { replayDockerfile, hostPath, type ImageStage } from './replay-dockerfile.ts';
import { freePort, hostArgv, imagePath, runInImage, startInImage } from './run-image.ts';

/**
 * No Docker engine runs here, so this test builds the image by replaying the Dockerfile's own steps (two `npm ci`
 * and a `tsc`, about a minute) and then runs the final stage's CMD as the container would.
 */

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'pw-image-token-5c1f9a';
const FLOW_ID = 301;

let workRoot: string;
let image: ImageStage;
const running: CliProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  workRoot = await mkdtemp(join(tmpdir(), 'pw-image-'));
  const stages = await replayDockerfile({
    context: REPOSITORY,
    workRoot,
    // npm's cache in HOME is warm; preferring it keeps the two installs off the network where it can.
    baseEnv: { PATH: imagePath, HOME: process.env.HOME ?? workRoot, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
  });
  image = stages.at(-1)!;
}, 300_000);

afterAll(async () => {
  if (workRoot !== undefined) await rm(workRoot, { recursive: true, force: true });
});

afterEach(async () => {
  for (const worker of running.splice(0)) worker.child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** `docker run` of the image against a simulated Portable with one flow, on its own Redis prefix and free port. */
async function startWorker(): Promise<{ worker: CliProcess; simulator: PortableSimulator; httpPort: number }> {
  const simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  simulator.addFlow({ id: FLOW_ID, displayName: 'Events' });
  const prefix = uniquePrefix('image');
  cleanups.push(async () => {
    await simulator.close();
    const redis = new Redis(testRedisUrl());
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });
  // The file lands where docker-compose.yml mounts it: the image's CONFIG_PATH.
  const config = [
    'portable:',
    '  token: ${PORTABLE_API_TOKEN}',
    `  apiUrl: ${apiUrl}`,
    'defaults: { pollEvery: 1s, notify: [terminal] }',
    'notifiers: { terminal: { type: console } }',
    'flows:',
    `  - { id: ${FLOW_ID} }`,
    '',
  ];
  await writeFile(hostPath(image, image.env.CONFIG_PATH!), config.join('\n'));
  const httpPort = await freePort();
  const worker = startInImage(image, hostArgv(image.cmd, 'CMD'), {
    CONFIG_PATH: hostPath(image, image.env.CONFIG_PATH!),
    PORTABLE_API_TOKEN: TOKEN,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
  });
  running.push(worker);
  await eventually(() => (worker.stdout().includes('"msg":"worker started"') ? true : worker.child.exitCode === null ? undefined : false), 'the "worker started" log line', 15_000);
  expect(worker.child.exitCode, worker.stderr()).toBeNull();
  return { worker, simulator, httpPort };
}

describe('the Docker image, built by replaying the Dockerfile', () => {
  it('is Node 24 slim, runs as a non-root user, stops on SIGTERM and checks its health on /healthz', () => {
    expect(image.base).toMatch(/^node:24(\.\d+)*-slim$/);
    // The replay stands in for the image's node with the one running this test.
    expect(process.versions.node.split('.')[0]).toBe('24');
    expect(image.user).toBeDefined();
    expect(['root', '0']).not.toContain(image.user!.split(':')[0]);
    expect(image.stopSignal ?? 'SIGTERM').toBe('SIGTERM');
    expect(hostArgv(image.cmd, 'CMD').slice(1)).toEqual([...WORKER_NODE_FLAGS, 'dist/src/cli.js', 'start']);
    expect(image.entrypoint).toBeUndefined();
    expect(image.env.CONFIG_PATH).toBe('/app/config/flows.yaml');
    expect(image.expose.map((port) => port.replace(/\/tcp$/, ''))).toContain(image.env.HTTP_PORT ?? '8080');
    expect(hostArgv(image.healthcheck?.command, 'HEALTHCHECK').join(' ')).toContain('/healthz');
  });

  it('starts the worker with the same V8 flags as `npm start` does', async () => {
    const manifest = JSON.parse(await readFile(join(REPOSITORY, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.start).toBe(`node ${WORKER_NODE_FLAGS.join(' ')} src/cli.ts start`);
  });

  it('holds the compiled CLI and the production dependencies, and no development dependency', async () => {
    const app = hostPath(image, '.');
    for (const file of ['dist/src/cli.js', 'dist/jobs/check-flow.js', 'dist/jobs/deliver-notification.js', 'dist/src/web/assets/status-page.js', 'dist/src/web/assets/status-page.css', 'package.json']) expect(existsSync(join(app, file)), file).toBe(true);
    expect(existsSync(join(app, 'src')), 'TypeScript sources').toBe(false);
    const manifest = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies)) expect(existsSync(join(app, 'node_modules', name)), name).toBe(true);
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path !== '' && entry.dev === true).map(([path]) => path);
    expect(devOnly).toContain('node_modules/typescript');
    expect(devOnly.filter((path) => existsSync(join(app, path)))).toEqual([]);
  });

  it('keeps local installs, build output, history and secrets out of the build context', async () => {
    const isIgnored = await readDockerIgnore(REPOSITORY);
    for (const path of ['node_modules/zod/package.json', 'dist/src/cli.js', '.git/HEAD', '.env', '.env.production', 'config/flows.yaml']) expect(isIgnored(path), path).toBe(true);
    for (const path of ['package.json', 'package-lock.json', 'src/cli.ts', 'jobs/check-flow.ts', 'config/flows.example.yaml']) expect(isIgnored(path), path).toBe(false);
  });

  it('starts the CLI: --help, and validate on the example config', async () => {
    const help = await runInImage(image, [...hostArgv(image.cmd, 'CMD').slice(0, -1), '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('validate');
    const secrets = { PORTABLE_API_TOKEN: 'token', SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/T/B/x', SMTP_URL: 'smtp://mail.test:25' };
    const validate = await runInImage(image, [...hostArgv(image.cmd, 'CMD').slice(0, -1), 'validate', '--config', 'config/flows.example.yaml'], secrets);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('config/flows.example.yaml: OK');
    // The package's bin (`npx portable-watch` in the container) finds no src/ there and runs the compiled CLI.
    const viaBin = await runInImage(image, [hostArgv(image.cmd, 'CMD')[0]!, 'bin/portable-watch.js', '--help']);
    expect(viaBin.code, viaBin.stderr).toBe(0);
    expect(viaBin.stdout).toContain('simulate');
  });

  it('`start` checks the configured flow, then exits 0 within 10 s of SIGTERM', async () => {
    const { worker, simulator } = await startWorker();
    await eventually(() => (simulator.requestCount({ flowId: FLOW_ID }) >= 1 ? true : undefined), 'a check of the flow', 15_000);
    const stoppedAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.stderr()).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(worker.stdout() + worker.stderr()).not.toContain(TOKEN);
  }, 40_000);

  it('answers GET /healthz with 200, so the HEALTHCHECK command passes', async () => {
    const { worker, httpPort } = await startWorker();
    const status = await eventually(async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined))?.status, 'GET /healthz', 10_000);
    expect(status).toBe(200);
    const healthcheck = hostArgv(image.healthcheck?.command, 'HEALTHCHECK');
    const healthy = await runInImage(image, healthcheck, { HTTP_PORT: String(httpPort) });
    expect(healthy.code, healthy.stderr).toBe(0);
    const nobodyThere = await runInImage(image, healthcheck, { HTTP_PORT: String(await freePort()) });
    expect(nobodyThere.code).not.toBe(0);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 40_000);

  it('serves the status page with its own scripts and styles and uPlot, from the image alone', async () => {
    const { worker, httpPort } = await startWorker();
    const page = await eventually(async () => (await fetch(`http://127.0.0.1:${httpPort}/`).catch(() => undefined))?.text(), 'GET /', 10_000);
    expect(page).toContain('<table id="flows"');
    for (const asset of ['status-page.js', 'status-page.css', 'flow-page.js', 'favicon.svg', 'uplot.min.js', 'uplot.min.css']) {
      const response = await fetch(`http://127.0.0.1:${httpPort}/assets/${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 40_000);
});
