import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invalidEventBody, startPagerDutyReceiver, type PagerDutyReceiver } from '../notifiers/pagerduty-receiver.ts';
import { answerWorkflowError, startTeamsReceiver, type TeamsReceiver } from '../notifiers/teams-receiver.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../notifiers/webhook-receiver.ts';
import { runCli } from '../support/run-cli.ts';

/**
 * `portable-watch test-alert --notifier NAME` for PagerDuty, Teams and a signed webhook, as a user runs it: a real
 * process, real receivers that check each vendor's shape. What it sends must be accepted as it is, leave no incident
 * open in PagerDuty, and a refusal must say what to fix without printing a secret.
 */

const ROUTING_KEY = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TEAMS_PATH = '/workflows/9f8e7d/triggers/manual/paths/invoke?sig=teams-secret-sig-51ab';
const BOT_TOKEN = 'bot-token-secret-77c1';

let pagerduty: PagerDutyReceiver;
let teams: TeamsReceiver;
let webhook: WebhookReceiver;
let dir: string;
let env: Record<string, string>;

beforeEach(async () => {
  [pagerduty, teams, webhook] = await Promise.all([startPagerDutyReceiver(), startTeamsReceiver(), startWebhookReceiver({ secret: SECRET })]);
  dir = await mkdtemp(join(tmpdir(), 'pw-test-alert-destinations-'));
  const config = [
    'portable: { token: unused-by-test-alert }',
    'notifiers:',
    '  pager: { type: pagerduty, routingKey: "${PAGERDUTY_ROUTING_KEY}", url: "${PAGERDUTY_URL}" }',
    '  channel: { type: teams, webhookUrl: "${TEAMS_WEBHOOK_URL}" }',
    '  bot: { type: webhook, url: "${BOT_URL}", secret: "${BOT_SECRET}", headers: { Authorization: "Bearer ${BOT_TOKEN}" } }',
    'defaults: { notify: [pager, channel, bot] }',
    'flows:',
    '  - { id: 201 }',
  ].join('\n');
  await writeFile(join(dir, 'flows.yaml'), config);
  env = {
    CONFIG_PATH: join(dir, 'flows.yaml'),
    PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
    PAGERDUTY_URL: pagerduty.url(),
    TEAMS_WEBHOOK_URL: teams.url(TEAMS_PATH),
    BOT_URL: webhook.url('/hooks/portable-watch'),
    BOT_SECRET: SECRET,
    BOT_TOKEN,
  };
});

afterEach(async () => {
  await Promise.all([pagerduty.close(), teams.close(), webhook.close(), rm(dir, { recursive: true, force: true })]);
});

const SECRETS = [ROUTING_KEY, SECRET, 'teams-secret-sig', BOT_TOKEN];

describe('portable-watch test-alert through the new destinations', () => {
  it('sends once through each: a PagerDuty trigger resolved at once, a Teams card, a signed webhook body', async () => {
    const result = await runCli(['test-alert'], env);
    expect(result.stdout.trimEnd().split('\n')).toEqual(['pager (pagerduty): sent', 'channel (teams): sent', 'bot (webhook): sent']);
    expect(result.code).toBe(0);

    expect(pagerduty.events.map((event) => [event.status, (event.body as { event_action: string }).event_action])).toEqual([
      [202, 'trigger'],
      [202, 'resolve'],
    ]);
    expect(pagerduty.open.size).toBe(0);
    expect(pagerduty.events[0]?.body).toMatchObject({ routing_key: ROUTING_KEY, payload: { severity: 'info' } });

    expect(teams.refused).toEqual([]);
    expect(teams.cards).toHaveLength(1);
    expect(JSON.stringify(teams.cards[0]?.card)).toContain('TEST: portable-watch test message');

    expect(webhook.received).toHaveLength(1);
    const received = webhook.received[0];
    expect(received).toMatchObject({ status: 204, schemaErrors: [], body: { version: 1, kind: 'test', flow: null } });
    expect(received?.signature).toMatch(/^v1,/);
    expect(received?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(result.stdout + result.stderr).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  it('a refusal for good says what to fix, with the vendor\'s reason and no secret', async () => {
    pagerduty.respondWith(() => ({ status: 400, body: invalidEventBody(['Event object is invalid: routing_key is not a valid integration key']) }));
    teams.respondWith(answerWorkflowError(404, 'WorkflowNotFound', 'The workflow was deleted'));
    const result = await runCli(['test-alert'], env);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^pager \(pagerduty\): FAILED — .*\(400\).*routing_key is not a valid integration key/);
    expect(lines[1]).toMatch(/^channel \(teams\): FAILED — .*\(404\).*check the workflow URL/);
    expect(lines[2]).toBe('bot (webhook): sent');
    expect(result.stdout).not.toMatch(/will be retried|retried later|keep trying|will retry|run test-alert again/i);
    expect(result.stdout + result.stderr).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  it('an endpoint that is down for now: FAILED, and this looks temporary', async () => {
    webhook.respondWith((_request, response) => {
      response.writeHead(503, { 'retry-after': '30' }).end();
    });
    const result = await runCli(['test-alert', '--notifier', 'bot'], env);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd()).toBe(
      'bot (webhook): FAILED — the webhook endpoint of notifier "bot" answered with a server error (503) — this looks temporary: run test-alert again in a minute',
    );
    expect(webhook.received).toHaveLength(1);
  });
});
