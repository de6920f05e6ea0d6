import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { alertHeadline } from '../../src/notifiers/alert-facts.ts';
import { createNotifier } from '../../src/notifiers/create-notifier.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { MAX_TEAMS_BODY_BYTES, type AdaptiveCard } from '../../src/notifiers/teams/teams-message.ts';
import { createTeamsNotifier, type TeamsNotifierOptions } from '../../src/notifiers/teams/teams-notifier.ts';
import {
  accountErrorAlert,
  accountRecoveredAlert,
  attempt,
  failedAlert,
  fallbackStalledAlert,
  learnedStalledAlert,
  lostTrackAlert,
  missedAlert,
  monitorErrorAlert,
  monitorRecoveredAlert,
  partialAlert,
  recoveredAlert,
  stalledAlert,
  stateLostAlert,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';
import { digestOf, storm } from './digest-fixtures.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { activeMarkup, shownText } from './read-teams-markdown.ts';
import { answer, neverAnswer, unusedPort } from './slack-receiver.ts';
import { answerWorkflowError, startTeamsReceiver, TEAMS_LIMIT_BYTES, type TeamsReceiver } from './teams-receiver.ts';

const SIG = 'Zq3kSecretSig0x9f8e7d6c5b4a';
const WORKFLOW_ID = 'a1b2c3d4e5f6secretworkflow';
const WEBHOOK_PATH = `/workflows/${WORKFLOW_ID}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
const SECRETS = [SIG, WORKFLOW_ID];
const HOSTILE = '**bold** [click](http://evil.example) <at>x</at> {{DATE(2026-01-01T00:00:00Z)}}';

let receiver: TeamsReceiver;
beforeEach(async () => {
  receiver = await startTeamsReceiver();
});
afterEach(async () => {
  expect(receiver.refused).toEqual([]);
  await receiver.close();
});

function teamsNotifier(options: Partial<TeamsNotifierOptions> = {}): Notifier {
  return createTeamsNotifier({ name: 'oncall', webhookUrl: receiver.url(WEBHOOK_PATH), ...options });
}

async function postedCard(alert: Alert): Promise<AdaptiveCard> {
  await teamsNotifier().send(alert);
  expect(receiver.cards).toHaveLength(1);
  return receiver.cards[0]!.card;
}

async function sendError(notifier: Notifier, signal?: AbortSignal): Promise<NotifierError> {
  const error: unknown = await notifier.send(failedAlert(), signal ? { signal } : {}).then(
    () => new Error('the send succeeded'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifierError);
  return error as NotifierError;
}

function texts(card: AdaptiveCard): string[] {
  return card.body.flatMap((element) => (element.type === 'TextBlock' ? [element.text] : element.facts.flatMap((fact) => [fact.title, fact.value])));
}

describe('Teams notifier against a Workflows receiver', () => {
  it.each<[string, Alert]>([
    ['failed', failedAlert()],
    ['stalled', stalledAlert()],
    ['stalled past a learned limit', learnedStalledAlert()],
    ['stalled past the fallback limit', fallbackStalledAlert()],
    ['recovered', recoveredAlert()],
    ['missed', missedAlert()],
    ['partial', partialAlert()],
    ['volume', volumeAlert()],
    ['unknown outcome', failedAlert({ kind: 'unknown-outcome', attempt: attempt({ unrecognised: 'disposition "cancelled"' }) })],
    ['monitor error', monitorErrorAlert()],
    ['monitor recovered', monitorRecoveredAlert()],
    ['account error', accountErrorAlert()],
    ['account recovered', accountRecoveredAlert()],
    ['state lost', stateLostAlert()],
    ['lost track', lostTrackAlert()],
    ['test', testAlert()],
    ['reminder held by a silence', failedAlert({ reminder: { number: 2, since: 0, failedAttempts: 4 }, heldBy: { what: 'silence s-1a2b3c4d', heldAt: 0, releasedAt: 1 } })],
  ])('delivers a valid card for a %s alert, titled with its headline', async (_name, alert) => {
    const card = await postedCard(alert);
    expect(receiver.cards[0]?.path).toBe(WEBHOOK_PATH);
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: alertHeadline(alert), weight: 'Bolder' });
  });

  it('shows what happened to a failed alert: title, flow, attempt, errors in monospace and a button to the flow', async () => {
    const card = await postedCard(failedAlert());
    expect(card.body[0]).toMatchObject({ text: 'FAILED: Events to Snowflake', color: 'Attention' });
    const facts = card.body.find((element) => element.type === 'FactSet');
    expect(facts?.type === 'FactSet' ? facts.facts : []).toEqual(
      expect.arrayContaining([
        { title: 'Flow', value: 'Events to Snowflake (689422)' },
        { title: 'Attempt', value: '632458' },
        { title: 'Ran for', value: '1h 5m' },
      ]),
    );
    expect(card.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'TextBlock', fontType: 'Monospace', text: 'SQL compilation error: Table EVENTS does not exist' }),
        expect.objectContaining({ type: 'TextBlock', fontType: 'Monospace', text: 'Load aborted after 1 error' }),
      ]),
    );
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open flow in Portable', url: 'https://app.portable.io/flows/689422' }]);
  });

  it('shows a hostile flow name and error as written, and keeps a 200 KB error under the limit', async () => {
    const alert = failedAlert({
      flow: { id: 7, name: HOSTILE, url: 'https://app.portable.io/flows/7' },
      attempt: attempt({ errors: [HOSTILE, `${HOSTILE} ${'e'.repeat(200_000)}`] }),
    });
    const card = await postedCard(alert);
    expect(receiver.cards[0]!.bytes).toBeLessThanOrEqual(MAX_TEAMS_BODY_BYTES);
    const all = texts(card);
    const withHostile = all.filter((text) => shownText(text).includes(HOSTILE));
    // title, sentence, Flow fact and both errors
    expect(withHostile).toHaveLength(5);
    // the section headings are the only markup, and ours
    const portableTexts = all.filter((text) => !/^\*\*(Rows|Errors \(\d+\))\*\*$/.test(text));
    expect(all.length - portableTexts.length).toBe(2);
    for (const text of portableTexts) expect(activeMarkup(text)).toEqual([]);
    expect(withHostile.at(-1)).toMatch(/ e{1000,}…$/);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open flow in Portable', url: 'https://app.portable.io/flows/7' }]);
  });

  it('sends a storm of 300 as one card under the limit that names or counts every alert', async () => {
    await teamsNotifier().sendDigest(digestOf(storm(300)));
    expect(receiver.cards).toHaveLength(1);
    const { card, bytes } = receiver.cards[0]!;
    expect(bytes).toBeLessThanOrEqual(TEAMS_LIMIT_BYTES);
    const lines = texts(card).filter((text) => text.startsWith('**FAILED** '));
    const named = new Set(lines.map((line) => /\(flow (\d+)\)/.exec(line)?.[1]));
    expect(named.size).toBe(lines.length);
    expect(texts(card).at(-1)).toBe(`… and ${300 - lines.length} more: run portable-watch status`);
    expect(card.body[0]).toMatchObject({ text: '300 alerts: 300 failed' });
  });

  it('is built by createNotifier from a teams entry of the config', async () => {
    const notifier = createNotifier('oncall', { type: 'teams', webhookUrl: receiver.url(WEBHOOK_PATH) });
    expect(notifier).toMatchObject({ name: 'oncall', type: 'teams' });
    await notifier.send(testAlert());
    expect(receiver.cards[0]?.card.body[0]).toMatchObject({ text: 'TEST: portable-watch test message' });
    await notifier.close();
  });
});

describe('Teams notifier answers and failures', () => {
  it.each([
    ['202 Accepted, as a workflow answers', answer(202, '')],
    ['200 OK', answer(200, '')],
  ])('treats %s as delivered', async (_name, responder) => {
    receiver.respondWith(responder);
    await expect(teamsNotifier().send(failedAlert())).resolves.toBeUndefined();
    expect(receiver.cards).toHaveLength(1);
  });

  it('waits as long as a 429 asks', async () => {
    receiver.respondWith(answer(429, '', { 'retry-after': '7' }));
    const error = await sendError(teamsNotifier());
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7_000 });
    expect(error.message).toBe('the Teams workflow of notifier "oncall" is rate limited (429); it asked us to wait 7s');
  });

  it('retries a 500, and the next send goes through', async () => {
    receiver.respondWith(answerWorkflowError(500, 'InternalServerError', 'oops'));
    const error = await sendError(teamsNotifier());
    expect(error).toMatchObject({ retryable: true, status: 500, code: 'InternalServerError' });
    receiver.respondWith(answer(202, ''));
    await expect(teamsNotifier().send(failedAlert())).resolves.toBeUndefined();
    expect(receiver.cards).toHaveLength(2);
  });

  const GONE = 'check the workflow URL; it may have been deleted or turned off (copy its "HTTP POST URL" again from the channel\'s Workflows)';
  it.each<[number, string | undefined, string]>([
    [404, undefined, `the Teams workflow of notifier "oncall" refused the message (404): ${GONE}`],
    [401, 'DirectApiAuthorizationRequired', `the Teams workflow of notifier "oncall" refused the message (401): DirectApiAuthorizationRequired: ${GONE}`],
    [403, undefined, `the Teams workflow of notifier "oncall" refused the message (403): ${GONE}`],
    [400, 'WorkflowTriggerIsNotEnabled', `the Teams workflow of notifier "oncall" refused the message (400): WorkflowTriggerIsNotEnabled: ${GONE}`],
    [
      400,
      'TriggerInputSchemaMismatch',
      'the Teams workflow of notifier "oncall" refused the message (400): TriggerInputSchemaMismatch: check the workflow URL, and that the workflow is on and still starts with "When a Teams webhook request is received"',
    ],
    [413, 'RequestEntityTooLarge', 'the Teams workflow of notifier "oncall" refused the message (413): RequestEntityTooLarge: Teams did not accept the card portable-watch sent; this is a portable-watch bug, please report it'],
  ])('gives up on %i %s, saying what to fix', async (status, code, message) => {
    receiver.respondWith(code === undefined ? answer(status, 'Not Found') : answerWorkflowError(status, code, `rejected ${receiver.url(WEBHOOK_PATH)}`));
    const error = await sendError(teamsNotifier());
    expect(error).toMatchObject({ retryable: false, status, code });
    expect(error.message).toBe(message);
    expectSecretFree(error, SECRETS);
  });

  it('treats a refused connection as retryable', async () => {
    const notifier = createTeamsNotifier({ name: 'oncall', webhookUrl: `http://127.0.0.1:${await unusedPort()}${WEBHOOK_PATH}` });
    const error = await sendError(notifier);
    expect(error).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
    expect(error.message).toBe('could not reach the Teams workflow of notifier "oncall" (ECONNREFUSED)');
  });

  it('gives up on a receiver that does not answer, as retryable', async () => {
    receiver.respondWith(neverAnswer);
    const started = Date.now();
    const error = await sendError(teamsNotifier({ timeoutMs: 300 }));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expect(error.message).toBe('sending to the Teams workflow of notifier "oncall" did not finish within 0.3s');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops when the caller aborts, as retryable', async () => {
    receiver.respondWith(neverAnswer);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await sendError(teamsNotifier(), controller.signal);
    expect(error).toMatchObject({ retryable: true, code: 'cancelled' });
  });

  it('refuses a webhook URL that is not an http(s) URL at start-up, without repeating it', () => {
    expect(() => createTeamsNotifier({ name: 'oncall', webhookUrl: `prod-01.westus.logic.azure.com/workflows?sig=${SIG}` })).toThrow(
      expect.objectContaining({
        message: 'the webhook URL of Teams notifier "oncall" is not an http(s) URL: copy the "HTTP POST URL" of the channel\'s "Post to a channel when a webhook request is received" workflow again',
        retryable: false,
        code: 'invalid_url',
      }),
    );
  });

  it('never puts the webhook URL into an error, however it is printed', async () => {
    const errors: NotifierError[] = [];
    const responders = [
      answerWorkflowError(404, 'WorkflowNotFound', `The workflow at ${receiver.url(WEBHOOK_PATH)} was not found`),
      answer(500, `upstream ${WEBHOOK_PATH} failed`),
      answer(429, WEBHOOK_PATH, { 'retry-after': '1' }),
      answer(302, '', { location: `/moved?sig=${SIG}` }),
      answer(400, `bad request to ${WEBHOOK_PATH}`),
    ];
    for (const responder of responders) {
      receiver.respondWith(responder);
      errors.push(await sendError(teamsNotifier()));
    }
    receiver.respondWith(neverAnswer);
    errors.push(await sendError(teamsNotifier({ timeoutMs: 200 })));
    errors.push(await sendError(createTeamsNotifier({ name: 'oncall', webhookUrl: `http://127.0.0.1:${await unusedPort()}${WEBHOOK_PATH}` })));
    try {
      createTeamsNotifier({ name: 'oncall', webhookUrl: `not a url ${WEBHOOK_PATH}` });
    } catch (error) {
      errors.push(error as NotifierError);
    }
    expect(errors).toHaveLength(8);
    expect(errors[3]).toMatchObject({ retryable: false, code: 'redirect' });
    for (const error of errors) expectSecretFree(error, SECRETS);
  });
});
