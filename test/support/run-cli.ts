import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
}

/** Runs `portable-watch ARGS` as a real process on this Node (vitest runs on Node 24). */
export function startCli(args: string[], env: Record<string, string>): CliProcess {
  // Port 0: processes started side by side must not fight over the default 8080.
  return startProcess([process.execPath, CLI, ...args], { env: { PATH: process.env.PATH ?? '', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', ...env } });
}

/**
 * Runs ARGV with exactly ENV (nothing inherited), collecting its output. With `group`, it leads a process group of
 * its own, so signalGroup reaches every process under it as a terminal's Ctrl-C does (npx does not pass signals on).
 */
export function startProcess(argv: string[], options: { env: Record<string, string>; cwd?: string; group?: boolean }): CliProcess {
  const [program, ...args] = argv as [string, ...string[]];
  const child = spawn(program, args, {
    env: options.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group === true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Sends SIGNAL to the process group a `group: true` process leads; nothing when it is gone. */
export function signalGroup(cli: CliProcess, signal: NodeJS.Signals): void {
  if (cli.child.pid === undefined) return;
  try {
    process.kill(-cli.child.pid, signal);
  } catch {
    // The group has ended.
  }
}

/** The JSON log lines a process wrote on stdout so far, parsed. */
export function logLines(cli: CliProcess): Array<Record<string, unknown>> {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const cli = startCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/**
 * A config file for a CLI process watching the simulator at `apiUrl`, alerting one Slack notifier: the token and
 * the webhook come from PORTABLE_API_TOKEN and SLACK_WEBHOOK_URL, as an operator would write it.
 */
export function cliConfigYaml(apiUrl: string, flows: string[]): string {
  return [
    'portable:',
    '  token: ${PORTABLE_API_TOKEN}',
    `  apiUrl: ${apiUrl}`,
    'defaults: { pollEvery: 1s, backfill: 1h, notify: [oncall] }',
    'notifiers:',
    '  oncall: { type: slack, webhookUrl: "${SLACK_WEBHOOK_URL}" }',
    'flows:',
    ...flows,
  ].join('\n');
}
