import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src/cli.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real `portable-watch` on the Node running the tests, with exactly the environment given. */
function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? {} });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each case is its own process, so they run side by side.
describe.concurrent('portable-watch validate', () => {
  let emptyDirectory: string;
  beforeAll(async () => {
    emptyDirectory = await mkdtemp(join(tmpdir(), 'portable-watch-validate-'));
  });
  afterAll(async () => {
    await rm(emptyDirectory, { recursive: true, force: true });
  });

  it('names each variable the example config reads when the shell sets none of them', async () => {
    expect(await runCli(['validate', '--config', 'config/flows.example.yaml'])).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'config/flows.example.yaml: 3 problems',
        '  portable.token: environment variable PORTABLE_API_TOKEN is not set (export it, or write ${PORTABLE_API_TOKEN:-fallback})',
        '  notifiers.oncall.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set (export it, or write ${SLACK_WEBHOOK_URL:-fallback})',
        '  email.smtpUrl: environment variable SMTP_URL is not set (export it, or write ${SMTP_URL:-fallback})',
        '',
      ].join('\n'),
    });
  });

  it('accepts the example config once its variables are set, and summarizes it', async () => {
    const env = { PORTABLE_API_TOKEN: 'token', SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/T/B/x', SMTP_URL: 'smtp://mail.test:25' };
    expect(await runCli(['validate', '--config', 'config/flows.example.yaml'], { env })).toEqual({
      code: 0,
      stdout: 'config/flows.example.yaml: OK — 5 flows, 2 notifiers (oncall: slack, data-team: email)\n',
      stderr: '',
    });
  });

  it('reads the path from CONFIG_PATH when --config is not given', async () => {
    const run = await runCli(['validate'], { env: { CONFIG_PATH: 'test/config/fixtures/minimal.yaml' } });
    expect(run).toEqual({ code: 0, stdout: 'test/config/fixtures/minimal.yaml: OK — 1 flow, 1 notifier (terminal: console)\n', stderr: '' });
  });

  it('prefers --config over CONFIG_PATH', async () => {
    const run = await runCli(['validate', '-c', 'test/config/fixtures/minimal.yaml'], { env: { CONFIG_PATH: 'nowhere.yaml' } });
    expect(run.code).toBe(0);
  });

  it('lists every problem on stderr under a header, and exits 1', async () => {
    const run = await runCli(['validate', '--config', 'test/config/fixtures/many-problems.yaml']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const [header, ...problems] = run.stderr.trimEnd().split('\n');
    expect(header).toBe('test/config/fixtures/many-problems.yaml: 12 problems');
    expect(problems).toHaveLength(12);
    expect(problems).toContain(`  flows[0].maxRuntime: "soon" is neither a duration nor auto (use 30s, 5m, 2h, 1d, or auto to learn it from the flow's own run times)`);
    expect(problems).toContain('  defaults.notifiy: unknown key (did you mean "notify"?)');
  });

  it('names the schedule that is not a valid cron, what is wrong with it and what to write', async () => {
    expect(await runCli(['validate', '--config', 'test/config/fixtures/bad-schedule.yaml'])).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'test/config/fixtures/bad-schedule.yaml: 2 problems',
        '  flows[1].schedule: "0 25 * * *" is not a valid cron: the hour field "25": 25 is outside 0-23 (e.g. "0 6 * * *" for 06:00 every day, "*/15 * * * *" for every 15 minutes)',
        '  flows[2].schedule: "daily" is not a schedule (write a cron such as "0 6 * * *", a duration such as 1h for one run every hour, or none)',
        '',
      ].join('\n'),
    });
  });

  it('looks for config/flows.yaml in the working directory by default', async () => {
    const run = await runCli(['validate'], { cwd: emptyDirectory });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `config/flows.yaml: 1 problem\n  config file not found: ${join(emptyDirectory, 'config/flows.yaml')} (start from a copy of config/flows.example.yaml, or set --config or CONFIG_PATH)\n`,
    });
  });

  it.each([[['--conifg', 'x.yaml']], [['extra-argument']], [['--config']]])('refuses the arguments %j with its usage', async (args) => {
    const run = await runCli(['validate', ...args]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^portable-watch validate: .+\n\nUsage: portable-watch validate \[--config PATH\]\n/);
  });

  it('never prints the value of a secret, even when it is what is wrong', async () => {
    const env = {
      PORTABLE_API_TOKEN: 'SECRET-portable-token',
      SLACK_WEBHOOK_URL: 'SECRET-slack-webhook',
      CONFIG_PATH: 'test/config/fixtures/many-problems.yaml',
    };
    const run = await runCli(['validate'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('  notifiers.oncall.webhookUrl: is not an http(s) URL\n');
    expect(run.stdout + run.stderr).not.toContain('SECRET');
  });
});
