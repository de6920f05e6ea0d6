import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answer, headerOf, startSlackReceiver, type SlackReceiver } from '../notifiers/slack-receiver.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../notifiers/smtp-receiver.ts';
import { runCli } from '../support/run-cli.ts';

/**
 * `portable-watch test-alert` as a user runs it (a real process, a Slack receiver, an SMTP receiver): it sends once,
 * so a failure says what failed and what to do, never that it will be tried again; and its message is about no flow.
 */

const HOOK = '/services/T1/B1/test-alert-secret-8e2d';
const LATER = /will be retried|retried later|keep trying|will retry/i;

let slack: SlackReceiver;
let smtp: SmtpReceiver;
let dir: string;
let env: Record<string, string>;

beforeEach(async () => {
  slack = await startSlackReceiver();
  smtp = await startSmtpReceiver({ rejectRecipient: (address) => (address.startsWith('busy@') ? { responseCode: 451, message: '4.3.0 Try again later' } : undefined) });
  dir = await mkdtemp(join(tmpdir(), 'pw-test-alert-'));
  const config = [
    'portable: { token: unused-by-test-alert }',
    'notifiers:',
    '  oncall: { type: slack, webhookUrl: "${SLACK_WEBHOOK_URL}" }',
    '  team: { type: email, to: [team@example.com] }',
    '  busy: { type: email, to: [busy@example.com] }',
    '  terminal: { type: console }',
    'email:',
    `  smtpUrl: smtp://127.0.0.1:${smtp.port}`,
    '  from: alerts@example.com',
    'defaults: { notify: [oncall, team, busy, terminal] }',
    'flows:',
    '  - { id: 201 }',
  ].join('\n');
  await writeFile(join(dir, 'flows.yaml'), config);
  env = { CONFIG_PATH: join(dir, 'flows.yaml'), SLACK_WEBHOOK_URL: slack.url(HOOK) };
});

afterEach(async () => {
  await Promise.all([slack.close(), smtp.close(), rm(dir, { recursive: true, force: true })]);
});

describe('portable-watch test-alert', () => {
  it('a send that failed for now says so and what to do, and promises no retry', async () => {
    slack.respondWith(answer(503, 'service_unavailable'));
    const result = await runCli(['test-alert', '--notifier', 'oncall'], env);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd()).toBe(
      'oncall (slack): FAILED — Slack webhook for notifier "oncall" got a server error from Slack (503 service_unavailable) — this looks temporary: run test-alert again in a minute',
    );
    expect(slack.posts).toHaveLength(1);
  });

  it('a mail server that defers the message: the same, with its reply', async () => {
    const result = await runCli(['test-alert', '--notifier', 'busy'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^busy \(email\): FAILED — the SMTP server 127\.0\.0\.1:\d+ temporarily refused the recipients for email notifier "busy" \(451 4\.3\.0 Try again later\) — this looks temporary: run test-alert again in a minute\n$/);
    expect(result.stdout).not.toMatch(LATER);
  });

  it('a send refused for good says what to fix, with no word of trying again', async () => {
    slack.respondWith(answer(404, 'no_service'));
    const result = await runCli(['test-alert', '--notifier', 'oncall'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('oncall (slack): FAILED — Slack webhook for notifier "oncall" was revoked or deleted (404 no_service): create a new incoming webhook');
    expect(result.stdout).not.toMatch(/again|retr/i);
  });

  it('the test message names no flow and no flow id in Slack, email and on the console', async () => {
    const result = await runCli(['test-alert', '--notifier', 'oncall'], env);
    const mail = await runCli(['test-alert', '--notifier', 'team'], env);
    const printed = await runCli(['test-alert', '--notifier', 'terminal'], env);
    expect([result.code, mail.code, printed.code]).toEqual([0, 0, 0]);
    expect(headerOf(slack.posts[0]?.body)).toBe('TEST: portable-watch test message');
    expect(smtp.mails[0]?.parsed.subject).toBe('[portable-watch] TEST: portable-watch test message');
    expect(printed.stdout.split('\n')[0]).toBe('TEST: portable-watch test message — a test alert, nothing is wrong');
    for (const text of [JSON.stringify(slack.posts[0]?.body), smtp.mails[0]?.parsed.text ?? '', printed.stdout]) {
      expect(text).not.toMatch(/\(flow 0\)|\(0\)|Flow:|\*Flow\*/);
    }
  });
});
