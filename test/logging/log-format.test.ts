import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { dropPrefix, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { cliConfigYaml, runCli, startProcess } from '../support/run-cli.ts';

/**
 * LOG_FORMAT, as a person and a machine meet it: readable lines at a terminal, JSON through a pipe (a container's
 * stdout, `| jq`), either one on demand, and a mistake refused in one line before anything starts. The terminal
 * is a real pseudo-terminal (util-linux `script`), the process a real `portable-watch check` whose check fails.
 */

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TOKEN = 'pw-format-token-93d1';
const REFUSAL = 'portable-watch: LOG_FORMAT must be pretty or json (default: pretty at a terminal, json otherwise), got "yaml"';
/** pino-pretty's line for the failed check: local time, level, message with its error, then the fields. */
const PRETTY_LINE = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] WARN: check failed: .*404.* \{"flowId":2002,"problem":"not-found"\}$/m;

let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let prefix: string;
let env: Record<string, string>;

beforeAll(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  // The first failed check alerts (a monitor error), and `check` waits for that delivery.
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-format-'));
  prefix = uniquePrefix('format');
  // Flow 2002 is unknown to Portable: its check fails, and the check logs that.
  await writeFile(join(dir, 'flows.yaml'), cliConfigYaml(apiUrl, ['  - { id: 2002, name: Gone }']));
  env = {
    CONFIG_PATH: join(dir, 'flows.yaml'),
    PORTABLE_API_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: slack.url('/services/T1/B1/format'),
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    // `check` prints what it finds itself and logs only errors unless told otherwise.
    LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
  const redis = new Redis(testRedisUrl());
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** `portable-watch ARGS` with its stdout and stderr on a pseudo-terminal, as in a person's shell. */
async function inTerminal(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | string; output: string }> {
  const command = [process.execPath, CLI, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
  const terminal = startProcess(['script', '-qefc', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', ...env, ...extra },
  });
  const code = await terminal.exited;
  // What a person sees: no colour codes, no carriage returns.
  return { code, output: stripVTControlCharacters(terminal.stdout()).replaceAll('\r', '') };
}

const jsonLines = (text: string) => text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('LOG_FORMAT', () => {
  it('is pretty at a terminal by default: one readable line per event, no JSON', async () => {
    const { code, output } = await inTerminal(['check', '--flow', '2002']);
    expect(code).toBe(1);
    expect(output).toMatch(PRETTY_LINE);
    expect(jsonLines(output)).toEqual([]);
  });

  it('is JSON at a terminal when LOG_FORMAT=json', async () => {
    const { code, output } = await inTerminal(['check', '--flow', '2002'], { LOG_FORMAT: 'json' });
    expect(code).toBe(1);
    expect(output).not.toMatch(PRETTY_LINE);
    expect(jsonLines(output)).toContainEqual(expect.objectContaining({ level: 40, msg: 'check failed', flowId: 2002, problem: 'not-found' }));
  });

  it('is JSON through a pipe by default, and pretty through one when LOG_FORMAT=pretty', async () => {
    const piped = await runCli(['check', '--flow', '2002'], env);
    expect(piped.code).toBe(1);
    expect(jsonLines(piped.stdout)).toContainEqual(expect.objectContaining({ msg: 'check failed', flowId: 2002 }));
    expect(piped.stdout).not.toMatch(PRETTY_LINE);

    const pretty = await runCli(['check', '--flow', '2002'], { ...env, LOG_FORMAT: 'pretty' });
    expect(pretty.code).toBe(1);
    expect(pretty.stdout).toMatch(PRETTY_LINE);
    expect(jsonLines(pretty.stdout)).toEqual([]);
  });

  it.each([['start'], ['check'], ['demo']])('a value it does not know stops `%s` with one line naming the variable and its values, exit 1', async (command) => {
    // REDIS_URL points nowhere: had anything started before the refusal, the message would be another one.
    const result = await runCli([command], { ...env, REDIS_URL: 'redis://127.0.0.1:9', LOG_FORMAT: 'yaml' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${REFUSAL}\n`);
    expect(result.stdout).toBe('');
  });
});
