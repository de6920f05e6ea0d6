import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { answer, headerOf, startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { dropPrefix, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { cliConfigYaml, runCli } from '../support/run-cli.ts';

/**
 * `portable-watch check` as a user runs it, a real process against the simulator, a Slack receiver and Redis, with
 * the environment a user has (no LOG_LEVEL): everything it finds is said once, across stdout and stderr, and it
 * promises no later try it will not make.
 */

const TOKEN = 'pw-check-cli-token-5c1e';
const HOOK = '/services/T1/B1/check-cli-secret-31f0';
const ERROR = 'Failed to connect to the source';
/** Words that would promise another try this one-shot command will not make. */
const LATER = /will be retried|retried later|try again on the next check|keep trying|will retry/i;

let simulator: PortableSimulator;
let slack: SlackReceiver;
let dir: string;
let prefix: string;
let env: Record<string, string>;

beforeEach(async () => {
  simulator = createPortableSimulator({ token: TOKEN });
  const apiUrl = await simulator.listen();
  slack = await startSlackReceiver();
  dir = await mkdtemp(join(tmpdir(), 'pw-check-'));
  prefix = uniquePrefix('check-cli');
  simulator.addFlow({ id: 201, displayName: 'Events' });
  simulator.addFlow({ id: 202, displayName: 'Orders' });
  await writeConfig(cliConfigYaml(apiUrl, ['  - { id: 201, name: Events to Snowflake }', '  - { id: 202 }']));
  env = { CONFIG_PATH: join(dir, 'flows.yaml'), PORTABLE_API_TOKEN: TOKEN, SLACK_WEBHOOK_URL: slack.url(HOOK), REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix };
});

afterEach(async () => {
  await Promise.all([simulator.close(), slack.close(), rm(dir, { recursive: true, force: true })]);
  const redis = new Redis(testRedisUrl());
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function writeConfig(yaml: string): Promise<void> {
  return writeFile(join(dir, 'flows.yaml'), yaml);
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

const failedRun = () => simulator.addAttempt(201, { state: 'failed', errors: [ERROR], createdAt: Date.now() - 60_000 });

describe('portable-watch check', () => {
  it('prints a failed run once, with its error, and nothing else repeats it: no log line, nothing on stderr', async () => {
    const failed = failedRun();
    const result = await runCli(['check'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'flow 201: 1 request, 1 alert',
      `  FAILED: Events to Snowflake attempt ${failed.id} — ${ERROR}`,
      'flow 202: 1 request, 0 alerts',
      'sent: oncall 1',
    ]);
    expect(slack.posts.map((post) => headerOf(post.body))).toEqual(['FAILED: Events to Snowflake']);
  });

  it('a first check reports the flow as it is now: a failure that has since recovered is not news', async () => {
    simulator.addAttempt(201, { state: 'failed', errors: ['old news'], createdAt: Date.now() - 30 * 60_000 });
    simulator.addAttempt(201, { state: 'succeeded', createdAt: Date.now() - 20 * 60_000 });
    const result = await runCli(['check', '--flow', '201'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual(['flow 201: 1 request, 0 alerts']);
    expect(slack.posts).toEqual([]);
  });

  it('a rejected token is said once for the account, not once per flow, and alerted as the account', async () => {
    simulator.setToken('rotated-token');
    const result = await runCli(['check'], env);
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(count(output, 'Portable rejected the API token (401)')).toBe(1);
    expect(count(output, 'check PORTABLE_API_TOKEN')).toBe(1);
    expect(result.stdout).toContain('flow 201: check failed (unauthorized): Portable rejected the API token (401)');
    expect(result.stdout).toContain('\n  MONITOR ERROR: Portable account\n');
    expect(result.stdout).toContain('flow 202: check failed (unauthorized): the API token was rejected, as for flow 201\n');
    expect(slack.posts.map((post) => headerOf(post.body))).toEqual(['MONITOR ERROR: Portable account']);
    expect(output).not.toMatch(LATER);
  });

  it('a console notifier prints the finding in full, and the report then only points at it', async () => {
    failedRun();
    await writeConfig(
      ['portable:', '  token: ${PORTABLE_API_TOKEN}', `  apiUrl: ${simulator.url ?? ''}`, 'defaults: { notify: [terminal] }', 'notifiers:', '  terminal: { type: console }', 'flows:', '  - { id: 201, name: Events to Snowflake }'].join('\n'),
    );
    const result = await runCli(['check'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toBe('flow 201: 1 request, 1 alert (printed in full below by terminal)');
    expect(count(result.stdout, ERROR)).toBe(1);
    expect(count(result.stdout, 'FAILED: Events to Snowflake')).toBe(1);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('sent: terminal 1');
  });

  it('an alert Slack refuses for good: says what failed and what to do, exit 1, and promises no retry', async () => {
    failedRun();
    slack.respondWith(answer(404, 'no_service'));
    const result = await runCli(['check', '--flow', '201'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const refusal = result.stdout.split('\n').find((line) => line.startsWith('not sent through oncall: '));
    expect(refusal).toBe(
      'not sent through oncall: FAILED: Events to Snowflake: Slack webhook for notifier "oncall" was revoked or deleted (404 no_service): create a new incoming webhook and update the webhook URL of this notifier. Once that is fixed, `portable-watch alerts retry --notifier oncall` queues it again for a worker to send.',
    );
    expect(result.stdout).not.toMatch(LATER);
    expect(result.stdout + result.stderr).not.toContain('check-cli-secret');
  });

  it('an alert Slack keeps refusing for a while: after 30 s, says it is still queued and who would send it', async () => {
    failedRun();
    slack.respondWith(answer(503, 'service_unavailable'));
    const result = await runCli(['check', '--flow', '201'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const line = result.stdout.split('\n').find((each) => each.startsWith('not sent through oncall within 30 s: '));
    expect(line).toMatch(/^not sent through oncall within 30 s: FAILED: Events to Snowflake \(last error: Slack webhook for notifier "oncall" got a server error from Slack \(503 service_unavailable\)\)\. It stays queued: /);
    expect(result.stdout).not.toMatch(LATER);
    expect(slack.posts.length).toBeGreaterThan(0);
  }, 45_000);

  it('a Portable that keeps failing: says the check failed and what to do, with no promise of a next check', async () => {
    simulator.injectFault({ kind: 'status', status: 503 }, { flowId: 201 });
    const result = await runCli(['check', '--flow', '201'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^flow 201: check failed \(transient\): Portable answered 503 for GET \/v2\/flows\/201\/run after \d+ attempt\(s\) — Portable may be having trouble; run check again in a while\n$/);
    expect(result.stderr).toBe('');
  });
});
