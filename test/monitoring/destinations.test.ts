import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { invalidEventBody, startPagerDutyReceiver, type PagerDutyReceiver } from '../notifiers/pagerduty-receiver.ts';
import { startTeamsReceiver, type TeamsReceiver } from '../notifiers/teams-receiver.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../notifiers/webhook-receiver.ts';
import { captureLog } from '../support/capture-log.ts';
import { eventually, testRedisUrl } from '../support/redis.ts';
import { runCli } from '../support/run-cli.ts';
import { startHarness, type Harness } from '../support/watch-harness.ts';

/**
 * Issue 13 on real parts: PagerDuty, Teams and a signed webhook as peers of Slack, fed by the real watch service (two
 * replicas, then a restart) from the simulator over HTTP. Each receiver checks its vendor's shape and first answers
 * with a failure the queue must retry; every alert still arrives exactly once, the PagerDuty incident opened by the
 * first failure is the one the recovery resolves, and a webhook retry carries the same webhook-id and bytes.
 */

const SECOND = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROUTING_KEY = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const FLOW = 7801;

let harness: Harness | undefined;
let receivers: Array<{ close(): Promise<void> }> = [];
let dir: string | undefined;
afterEach(async () => {
  await harness?.close();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  harness = undefined;
  receivers = [];
  dir = undefined;
});

interface Destinations {
  pagerduty: PagerDutyReceiver;
  teams: TeamsReceiver;
  webhook: WebhookReceiver;
  /** Teams answers, in order (the receiver records every valid card, whatever it answered). */
  teamsAnswers: number[];
}

/** Each receiver refuses its first request the way its vendor does when busy or down, then accepts. */
async function startDestinations(): Promise<Destinations> {
  const [pagerduty, teams, webhook] = await Promise.all([startPagerDutyReceiver(), startTeamsReceiver(), startWebhookReceiver({ secret: SECRET })]);
  receivers = [pagerduty, teams, webhook];
  pagerduty.respondWith((_event, index) => (index === 0 ? { status: 503, body: { status: 'error' } } : undefined));
  const teamsAnswers: number[] = [];
  teams.respondWith((_request, response) => {
    const status = teamsAnswers.length === 0 ? 429 : 202;
    teamsAnswers.push(status);
    response.writeHead(status, status === 429 ? { 'retry-after': '1' } : {}).end();
  });
  let webhookAnswers = 0;
  webhook.respondWith((_request, response) => {
    webhookAnswers += 1;
    response.writeHead(webhookAnswers === 1 ? 500 : 204).end();
  });
  return { pagerduty, teams, webhook, teamsAnswers };
}

function notifiersYaml(d: Destinations): string {
  return [
    `  pager: { type: pagerduty, routingKey: ${ROUTING_KEY}, url: "${d.pagerduty.url()}" }`,
    `  channel: { type: teams, webhookUrl: "${d.teams.url('/workflows/abc/invoke?sig=s3cr3t')}" }`,
    `  bot: { type: webhook, url: "${d.webhook.url('/hooks/portable')}", secret: "${SECRET}" }`,
  ].join('\n');
}

const accepted = (d: Destinations) => ({
  pagerduty: d.pagerduty.events.filter((event) => event.status === 202).map((event) => event.body as { event_action: string; dedup_key: string }),
  teams: d.teams.cards.filter((_card, index) => d.teamsAnswers[index] === 202).map((card) => JSON.stringify(card.card)),
  webhook: d.webhook.received.filter((request) => request.status === 204),
});

describe('PagerDuty, Teams and a signed webhook, exactly once', () => {
  it('a failure, a second failure and the recovery reach each once through retries, two replicas and a restart', async () => {
    const d = await startDestinations();
    const h = (harness = await startHarness(`  - { id: ${FLOW}, name: Nightly orders, notify: [oncall, pager, channel, bot] }`, undefined, { notifiers: notifiersYaml(d) }));
    h.simulator.addFlow({ id: FLOW });
    // Debug logs of both replicas, read back at the end: no secret in any line, whatever was refused.
    const logs = [captureLog('debug'), captureLog('debug'), captureLog('debug')];
    const first = await h.startService(undefined, { log: logs[0]?.log });
    await h.startService(undefined, { log: logs[1]?.log });
    await sleep(1_500);

    h.simulator.addAttempt(FLOW, { state: 'failed', errors: ['Snowflake: warehouse PROD_WH is suspended'] });
    await eventually(() => (accepted(d).pagerduty.length === 1 && accepted(d).teams.length === 1 && accepted(d).webhook.length === 1 ? true : undefined), 'the failure everywhere', 20 * SECOND);
    // The refused first tries were retried: PagerDuty's 503, Teams' 429 after its Retry-After, the webhook's 500.
    expect(d.pagerduty.events.map((event) => event.status)).toEqual([503, 202]);
    expect(d.teamsAnswers).toEqual([429, 202]);
    const [refused, retried] = d.webhook.received;
    expect(refused?.status).toBe(500);
    expect(retried?.webhookId).toBe(refused?.webhookId);
    expect(retried?.rawBody).toBe(refused?.rawBody);

    h.simulator.addAttempt(FLOW, { state: 'failed', errors: ['Snowflake: warehouse PROD_WH is suspended'] });
    await eventually(() => (accepted(d).webhook.length === 2 ? true : undefined), 'the second failure');
    // A replica restarts with the incident open: nothing is sent again.
    await first.close(1_000);
    await h.startService(undefined, { log: logs[2]?.log });
    await sleep(2 * SECOND);

    h.simulator.addAttempt(FLOW, { state: 'succeeded' });
    await eventually(() => (accepted(d).webhook.length === 3 && accepted(d).pagerduty.length === 3 && accepted(d).teams.length === 3 ? true : undefined), 'the recovery everywhere', 20 * SECOND);
    await sleep(2 * SECOND);

    const got = accepted(d);
    expect(got.pagerduty.map((event) => event.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
    expect(new Set(got.pagerduty.map((event) => event.dedup_key)).size).toBe(1);
    expect(d.pagerduty.open.size).toBe(0);
    expect(got.teams.map((card) => /(FAILED|RECOVERED): Nightly orders/.exec(card)?.[0])).toEqual(['FAILED: Nightly orders', 'FAILED: Nightly orders', 'RECOVERED: Nightly orders']);
    const bodies = got.webhook.map((request) => request.body as { kind: string; incident: string; id: string });
    expect(bodies.map((body) => body.kind)).toEqual(['failed', 'failed', 'recovered']);
    expect(new Set(bodies.map((body) => body.incident))).toEqual(new Set([bodies[0]?.incident]));
    expect(new Set(got.webhook.map((request) => request.webhookId)).size).toBe(3);
    expect(d.webhook.received.every((request) => request.schemaErrors.length === 0)).toBe(true);
    expect(d.teams.refused).toEqual([]);
    expect(d.pagerduty.events.every((event) => event.problems.length === 0)).toBe(true);
    const logged = JSON.stringify(logs.flatMap((capture) => capture.lines));
    expect(logged).toContain('"level":40');
    for (const secret of [ROUTING_KEY, SECRET.slice('whsec_'.length), 's3cr3t', d.webhook.url('/hooks')]) expect(logged).not.toContain(secret);
    // Slack, the harness's default notifier, got the same three: routing is unchanged for the old types.
    expect(h.posts()).toEqual(['FAILED: Nightly orders', 'FAILED: Nightly orders', 'RECOVERED: Nightly orders']);
  }, 90_000);
});

describe('a destination that refuses for good', () => {
  it('PagerDuty\'s 400 gives the alert up with its reasons, `alerts` shows it without the routing key, and `alerts retry` sends it once fixed', async () => {
    const d = await startDestinations();
    d.pagerduty.respondWith(() => ({ status: 400, body: invalidEventBody(['payload.summary is too long']) }));
    const flows = `  - { id: ${FLOW}, name: Nightly orders, notify: [pager] }`;
    const h = (harness = await startHarness(flows, undefined, { notifiers: notifiersYaml(d) }));
    dir = await mkdtemp(join(tmpdir(), 'pw-destinations-'));
    const configPath = join(dir, 'flows.yaml');
    await writeFile(configPath, h.configText(flows));
    const cli = (args: string[]) => runCli(args, { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: h.prefix, CONFIG_PATH: configPath });
    h.simulator.addFlow({ id: FLOW });
    await h.startService();
    await sleep(1_500);

    h.simulator.addAttempt(FLOW, { state: 'failed', errors: ['Snowflake: warehouse PROD_WH is suspended'] });
    const listed = await eventually(async () => {
      const result = await cli(['alerts', '--json']);
      const unsent = (JSON.parse(result.stdout) as { alerts: Array<{ notifier: string; state: string; lastError: string }> }).alerts;
      return unsent.some((alert) => alert.state === 'given-up') ? { result, unsent } : undefined;
    }, 'the alert given up', 20 * SECOND);
    // Permanent: one try, no retries.
    expect(d.pagerduty.events.map((event) => event.status)).toEqual([400]);
    expect(listed.unsent).toMatchObject([{ notifier: 'pager', state: 'given-up', lastError: expect.stringContaining('payload.summary is too long') as string }]);
    expect(listed.result.stdout).not.toContain(ROUTING_KEY);

    d.pagerduty.respondWith(() => undefined);
    expect((await cli(['alerts', 'retry', '--notifier', 'pager'])).code).toBe(0);
    await eventually(() => (d.pagerduty.open.size === 1 ? true : undefined), 'the trigger after the retry');
    await sleep(1_500);
    expect(d.pagerduty.events.map((event) => event.status)).toEqual([400, 202]);
  }, 60_000);
});
