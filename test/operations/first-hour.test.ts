import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULTS } from '../../src/commands/simulate-command.ts';
import { FIRST_FLOW_ID } from '../../src/simulator/simulated-account.ts';
import { headerOf, startSlackReceiver, unusedPort, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../notifiers/smtp-receiver.ts';
import { dropPrefix, eventually, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { signalGroup, startProcess, type CliProcess } from '../support/run-cli.ts';

/**
 * A new user's road, as the README walks it: `npx portable-watch …` in a directory laid out like a fresh clone
 * after `npm ci` (no build), against `portable-watch simulate` standing in for Portable and local Slack and SMTP
 * receivers. The README's own lines are run, so the README cannot drift from the program.
 */

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const WEBHOOK_PATH = '/services/T000/B000/first-hour-secret';

const running: CliProcess[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) {
    signalGroup(process, 'SIGTERM');
    await Promise.race([process.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    signalGroup(process, 'SIGKILL');
  }
});

/** The repository as a clone after `npm ci` has it, without anything built or configured. */
async function cloneLikeDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'pw-first-hour-'));
  for (const entry of ['package.json', 'package-lock.json', 'node_modules', 'bin', 'src', 'jobs']) await symlink(join(REPOSITORY, entry), join(directory, entry));
  await mkdir(join(directory, 'config'));
  await cp(join(REPOSITORY, 'config/flows.example.yaml'), join(directory, 'config/flows.example.yaml'));
  return directory;
}

/** What a shell the user opened has: PATH (npm's, so node is the project's Node 24) and HOME, nothing of ours. */
function shellEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), npm_config_update_notifier: 'false', ...extra };
}

async function run(argv: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const cli = startProcess(argv, { cwd, env });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The ```sh blocks of one README section, each as its command lines without trailing comments. */
async function readmeBlocks(heading: string): Promise<string[][]> {
  const readme = await readFile(join(REPOSITORY, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README section "${heading}"`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) =>
    match[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== ''),
  );
}

describe('npx portable-watch, as a fresh clone has it', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await cloneLikeDirectory();
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('runs from source right after npm ci, with nothing built', async () => {
    const help = await run(['npx', 'portable-watch', '--help'], directory, shellEnv({}));
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: portable-watch <command>');
    expect(help.stdout).toContain('simulate');
  }, 60_000);

  it('npm run validate checks the user\'s file (CONFIG_PATH, else config/flows.yaml), not the example', async () => {
    const fallback = await run(['npm', 'run', '--silent', 'validate'], directory, shellEnv({}));
    expect(fallback.code).toBe(1);
    expect(fallback.stderr).toContain('config file not found: ' + join(directory, 'config/flows.yaml'));
    const chosen = await run(['npm', 'run', '--silent', 'validate'], directory, shellEnv({ CONFIG_PATH: 'config/flows.example.yaml' }));
    expect(chosen.code).toBe(1);
    expect(chosen.stderr).toContain('config/flows.example.yaml: 3 problems');
    expect(chosen.stderr).toContain('environment variable PORTABLE_API_TOKEN is not set');
  }, 60_000);

  it('git keeps the user\'s config and .env out of commits', async () => {
    const ignored = (await readFile(join(REPOSITORY, '.gitignore'), 'utf8')).split('\n');
    expect(ignored).toContain('config/flows.yaml');
    expect(ignored).toContain('.env');
  });

  it('prints only JSON on stdout for --json, which a JSON parser takes as it is', async () => {
    const simulate = startProcess(['npx', 'portable-watch', 'simulate', '--port', '0', '--flows', '3', '--json'], { cwd: directory, env: shellEnv({}), group: true });
    running.push(simulate);
    const line = await eventually(() => (simulate.stdout().includes('\n') ? simulate.stdout() : undefined), 'the simulator to print its address', 20_000);
    const printed = JSON.parse(line) as { apiUrl: string; token: string; flows: Array<{ id: number; role: string }> };
    expect(printed.token).toBe(SIMULATOR_DEFAULTS.token);
    expect(printed.flows.map((flow) => [flow.id, flow.role])).toEqual([
      [FIRST_FLOW_ID, 'fails'],
      [FIRST_FLOW_ID + 1, 'hangs'],
      [FIRST_FLOW_ID + 2, 'succeeds'],
    ]);
    // It serves Portable's API with that token: the failing flow's latest run failed.
    const response = await fetch(`${printed.apiUrl}/v2/flows/${FIRST_FLOW_ID}/status`, { headers: { authorization: `Bearer ${printed.token}` } });
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toMatch(/fail/i);
    // Ctrl-C: npm ends by the signal it got, the simulator stops serving.
    signalGroup(simulate, 'SIGINT');
    expect([0, 'SIGINT']).toContain(await simulate.exited);
    await expect(fetch(`${printed.apiUrl}/v2/flows`)).rejects.toThrow();
  }, 60_000);

  it('simulate says which port is taken instead of a stack trace', async () => {
    const first = startProcess(['npx', 'portable-watch', 'simulate', '--port', '0', '--json'], { cwd: directory, env: shellEnv({}), group: true });
    running.push(first);
    const line = await eventually(() => (first.stdout().includes('\n') ? first.stdout() : undefined), 'the first simulator', 20_000);
    const port = new URL((JSON.parse(line) as { apiUrl: string }).apiUrl).port;
    const second = await run(['npx', 'portable-watch', 'simulate', '--port', port], directory, shellEnv({}));
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(`portable-watch simulate: cannot listen on 127.0.0.1:${port}: port ${port} is in use; choose another with --port`);
  }, 60_000);
});

describe('src/cli.ts, the one file any Node must be able to run', () => {
  it('is plain code in a CommonJS scope, and every directory beside it an ES module scope', async () => {
    const read = async (path: string) => JSON.parse(await readFile(join(REPOSITORY, path), 'utf8')) as { type?: string };
    expect(await read('src/package.json')).toEqual({ type: 'commonjs' });
    const entries = await readdir(join(REPOSITORY, 'src'), { withFileTypes: true });
    expect(entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => entry.name)).toEqual(['cli.ts']);
    for (const entry of entries.filter((each) => each.isDirectory())) expect(await read(`src/${entry.name}/package.json`), entry.name).toEqual({ type: 'module' });
    const source = await readFile(join(REPOSITORY, 'src/cli.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*(import|export)\s/m);
  });
});

/** A Node older than 22.18 on this machine (Debian's), if there is one: what a user with an old Node types. */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
      if (major < 22 || (major === 22 && minor < 18)) return candidate;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

const OLD_NODE = oldNode();

describe.runIf(OLD_NODE !== undefined)(`on a Node too old to run TypeScript (${OLD_NODE ?? 'none here'})`, () => {
  it.each([['src/cli.ts'], ['bin/portable-watch.js']])('`node %s` says in one line what to use instead', async (entry) => {
    const result = await run([OLD_NODE!, entry, 'validate'], REPOSITORY, { PATH: '/usr/bin:/bin' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^portable-watch needs Node 22\.18 or later .*npx portable-watch/);
  });
});

describe('the README, followed literally against `portable-watch simulate`', () => {
  let directory: string;
  let slack: SlackReceiver;
  let smtp: SmtpReceiver;
  const prefix = uniquePrefix('first-hour');
  beforeAll(async () => {
    directory = await cloneLikeDirectory();
    slack = await startSlackReceiver();
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    await Promise.all([slack.close(), smtp.close(), rm(directory, { recursive: true, force: true })]);
    const redis = new Redis(testRedisUrl());
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('goes from the example config to alerts in Slack and by email, with no step to guess', async () => {
    const [steps, simulatorExports, ...others] = await readmeBlocks('Running against your Portable account');
    expect(steps, 'the README section has its steps').toBeDefined();
    expect(simulatorExports, 'the README shows what simulate prints').toBeDefined();
    expect(others.length).toBeGreaterThan(0);

    // The simulator, started as the README says, prints the lines the README shows (on the port it got).
    const simulatorPort = await unusedPort();
    const simulator = startProcess(['npx', 'portable-watch', 'simulate', '--port', String(simulatorPort)], { cwd: directory, env: shellEnv({}), group: true });
    running.push(simulator);
    await eventually(() => (simulator.stdout().includes('Flows') ? true : simulator.child.exitCode === null ? undefined : false), 'simulate to print its flows', 20_000);
    const printed = simulator.stdout().split('\n').map((line) => line.trim());
    const shown = simulatorExports!.map((line) => line.replace(`:${SIMULATOR_DEFAULTS.port}`, `:${simulatorPort}`));
    for (const line of shown) expect(printed, 'README line printed by simulate').toContain(line);
    const env = shellEnv({ REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' });
    const exportLine = /^export ([A-Z_]+)=(\S+)$/;
    for (const line of shown) {
      const [, name, value] = exportLine.exec(line) ?? [];
      env[name!] = value!;
    }

    // What the user fills in for each variable the steps export: the local receivers stand in for Slack and mail.
    const userValues: Record<string, string> = {
      PORTABLE_API_TOKEN: env.PORTABLE_API_TOKEN!,
      SLACK_WEBHOOK_URL: slack.url(WEBHOOK_PATH),
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    };
    const exported: string[] = [];
    let worker: CliProcess | undefined;
    for (const step of steps!) {
      const variable = exportLine.exec(step);
      if (variable !== null) {
        exported.push(variable[1]!);
        expect(userValues, `a value for ${variable[1]}`).toHaveProperty(variable[1]!);
        env[variable[1]!] = userValues[variable[1]!]!;
        continue;
      }
      if (step.startsWith('cp ')) {
        const result = await run(['bash', '-c', step], directory, env);
        expect(result.code, `${step}: ${result.stderr}`).toBe(0);
        continue;
      }
      const command = /^npx portable-watch ([a-z-]+)$/.exec(step)?.[1];
      expect(command, `a step this test knows how to follow: ${step}`).toBeDefined();
      if (command === 'start') {
        worker = startProcess(step.split(' '), { cwd: directory, env, group: true });
        running.push(worker);
        // Within a minute: the failing flow's FAILED and the hanging flow's STALLED, in Slack and by email.
        const kinds = () => slack.posts.filter((post) => post.path === WEBHOOK_PATH).map((post) => `${headerOf(post.body)} ${JSON.stringify(post.body)}`);
        await eventually(
          () => {
            const posts = kinds();
            const failed = posts.some((post) => /fail/i.test(post) && post.includes(String(FIRST_FLOW_ID)));
            const stalled = posts.some((post) => /stall/i.test(post) && post.includes(String(FIRST_FLOW_ID + 1)));
            return failed && stalled ? true : worker!.child.exitCode === null ? undefined : false;
          },
          'FAILED and STALLED alerts in Slack',
          60_000,
        );
        await eventually(() => (smtp.mails.some((mail) => (mail.parsed.subject ?? '').includes('Events to Snowflake') && /fail/i.test(mail.parsed.subject ?? '')) ? true : undefined), 'the FAILED alert by email', 30_000);
        continue;
      }
      const result = await run(step.split(' '), directory, env);
      expect(result.code, `${step}\n${result.stdout}\n${result.stderr}`).toBe(0);
      if (command === 'validate') expect(result.stdout).toMatch(/^config\/flows\.yaml: OK/);
      if (command === 'test-alert') {
        expect(slack.posts.filter((post) => post.path === WEBHOOK_PATH)).toHaveLength(1);
        expect(smtp.mails).toHaveLength(1);
      }
      if (command === 'status') {
        expect(result.stdout).toContain(String(FIRST_FLOW_ID));
        expect(result.stdout).toContain(String(FIRST_FLOW_ID + 1));
      }
    }
    expect(exported.sort()).toEqual(['PORTABLE_API_TOKEN', 'SLACK_WEBHOOK_URL', 'SMTP_URL']);
    // What scripts pipe into jq: JSON alone on stdout, through npx too.
    for (const command of ['status', 'alerts']) {
      const result = await run(['npx', 'portable-watch', command, '--json'], directory, env);
      expect(result.code, result.stderr).toBe(0);
      expect(() => JSON.parse(result.stdout) as unknown, `${command} --json`).not.toThrow();
    }
    expect(worker, 'the README starts the worker').toBeDefined();
    // The secrets the user exported never reach the terminal.
    for (const process of [worker!]) expect(process.stdout() + process.stderr()).not.toContain(WEBHOOK_PATH);
  }, 180_000);
});
