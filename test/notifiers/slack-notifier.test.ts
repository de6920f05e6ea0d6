import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import type { SlackMessage } from '../../src/notifiers/slack/render-slack-message.ts';
import { createSlackNotifier, type SlackNotifierOptions } from '../../src/notifiers/slack/slack-notifier.ts';
import { attempt, failedAlert, learnedStalledAlert, missedAlert, monitorErrorAlert, STARTED_AT, volumeAlert, volumeDrop } from './alert-fixtures.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { answer, neverAnswer, startSlackReceiver, unusedPort, type SlackReceiver } from './slack-receiver.ts';

const SECRET = 'xoxSecretWebhookToken9f8e7d6c';
const WEBHOOK_PATH = `/services/T0AAAA/B0BBBB/${SECRET}`;

let receiver: SlackReceiver;
beforeEach(async () => {
  receiver = await startSlackReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function slackNotifier(options: Partial<SlackNotifierOptions> = {}): Notifier {
  return createSlackNotifier({ name: 'oncall', webhookUrl: receiver.url(WEBHOOK_PATH), ...options });
}

async function postedMessage(alert: Alert, options: Partial<SlackNotifierOptions> = {}): Promise<SlackMessage> {
  await slackNotifier(options).send(alert);
  expect(receiver.posts).toHaveLength(1);
  return receiver.posts[0]?.body as SlackMessage;
}

async function sendError(notifier: Notifier, signal?: AbortSignal): Promise<NotifierError> {
  const error: unknown = await notifier.send(failedAlert(), signal ? { signal } : {}).then(
    () => new Error('the send succeeded'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifierError);
  return error as NotifierError;
}

/** Every string a person could read in the message: fallback, header, section texts, fields, context. */
function allTexts(message: SlackMessage): string[] {
  return [
    message.text,
    ...message.blocks.flatMap((block) => {
      if (block.type === 'header') return [block.text.text];
      if (block.type === 'context') return block.elements.map((element) => element.text);
      return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((field) => field.text)];
    }),
  ];
}

function sectionTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
}

/** Every mrkdwn text object anywhere in the message, in order. */
function mrkdwnTexts(message: SlackMessage): Array<{ type: string; text: string; verbatim?: unknown }> {
  const found: Array<{ type: string; text: string; verbatim?: unknown }> = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if (record.type === 'mrkdwn') found.push(record as { type: string; text: string });
      Object.values(record).forEach(visit);
    }
  };
  visit(message.blocks);
  return found;
}

describe('Slack notifier against a real HTTP receiver', () => {
  it('posts JSON with the header, facts, errors, fallback text and link to the webhook path', async () => {
    const message = await postedMessage(failedAlert());
    expect(receiver.posts[0]).toMatchObject({ path: WEBHOOK_PATH, contentType: 'application/json' });
    expect(message.text).toBe('FAILED: Events to Snowflake (flow 689422) — attempt 632458');
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'FAILED: Events to Snowflake' } });
    const facts = message.blocks[1];
    expect(facts).toMatchObject({ type: 'section', text: { text: 'Attempt 632458 of Events to Snowflake failed.' } });
    expect(facts?.type === 'section' ? facts.fields?.map((field) => field.text) : []).toEqual(
      expect.arrayContaining([
        '*Flow*\nEvents to Snowflake (689422)',
        '*Attempt*\n632458',
        '*Ran for*\n1h 5m',
        '*Finished*\n2026-11-29 08:52:48 UTC',
      ]),
    );
    expect(sectionTexts(message)).toContain(
      '*Errors (2)*\n```SQL compilation error: Table EVENTS does not exist```\n```Load aborted after 1 error```',
    );
    expect(sectionTexts(message)).toContain('*Rows*\n• orders: 1,200 extracted · 1,190 loaded\n• customers: no row counts');
    expect(message.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '<https://app.portable.io/flows/689422|Open in Portable>', verbatim: true }],
    });
  });

  it('mentions only whom the config names, in the fallback and at the start of the first section', async () => {
    const hostile = failedAlert({
      flow: { id: 1, name: '<!channel> <@U123> flow' },
      attempt: attempt({ errors: ['<!everyone>'] }),
    });
    const message = await postedMessage(hostile, { mention: '<!here>' });
    expect(message.text.startsWith('<!here> FAILED')).toBe(true);
    expect(sectionTexts(message)[0]?.startsWith('<!here> Attempt 632458')).toBe(true);
    const mentions = allTexts(message).join('\n').match(/<[!@][^>]*>/g);
    expect(mentions).toEqual(['<!here>', '<!here>']);
  });

  it('sends no mention at all when none is configured', async () => {
    const message = await postedMessage(failedAlert({ flow: { id: 1, name: '<!channel>' } }));
    expect(allTexts(message).join('\n')).not.toMatch(/<[!@]/);
  });

  it('escapes &, < and > from Portable in every block and in the fallback text', async () => {
    const name = 'Ops & Co <!channel> <@U123> <http://evil|click>';
    const alert = failedAlert({
      flow: { id: 7, name, url: 'https://app.portable.io/flows/7?a=1&b=2' },
      attempt: attempt({
        errors: ['boom & <!channel>', 'see <http://evil|click> and <@U123>'],
        resources: [{ name: 'R&D <!subteam^S1>', extracted: 1, analyzed: null, loaded: null }],
      }),
    });
    const message = await postedMessage(alert);
    const escapedName = 'Ops &amp; Co &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt;';
    expect(message.text).toContain(escapedName);
    expect(message.blocks[0]).toMatchObject({ text: { text: `FAILED: ${escapedName}` } });
    expect(sectionTexts(message).join('\n')).toContain('```boom &amp; &lt;!channel&gt;```');
    expect(sectionTexts(message).join('\n')).toContain('```see &lt;http://evil|click&gt; and &lt;@U123&gt;```');
    expect(sectionTexts(message).join('\n')).toContain('R&amp;D &lt;!subteam^S1&gt;');
    for (const text of allTexts(message)) {
      // the link to Portable is the one piece of markup we add ourselves
      const withoutLink = text.replace('<https://app.portable.io/flows/7?a=1&amp;b=2|Open in Portable>', '');
      expect(withoutLink).not.toMatch(/[<>]/);
      expect(withoutLink).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
  });

  it('sends every mrkdwn text verbatim, so Slack links and mentions nothing in Portable text, still escaped', async () => {
    const portableText = '<!channel> see https://evil.example/x and #general, ask @jane';
    const escaped = '&lt;!channel&gt; see https://evil.example/x and #general, ask @jane';
    const errors = Array.from({ length: 40 }, (_, index) => `${portableText} ${index} ${'e'.repeat(400)}`);
    const failed = failedAlert({
      flow: { id: 7, name: portableText, url: 'https://app.portable.io/flows/7' },
      attempt: attempt({ errors, resources: [{ name: portableText, extracted: 1, analyzed: null, loaded: null }] }),
    });
    const monitorMessage = {
      ...monitorErrorAlert(),
      flow: { id: 7, name: portableText, url: 'https://app.portable.io/flows/7' },
      monitor: { problem: 'not-found' as const, message: portableText, since: STARTED_AT, scope: 'flow' as const },
    };

    for (const alert of [failed, monitorMessage]) {
      receiver.posts.length = 0;
      const message = await postedMessage(alert, { mention: '<!here>' });
      const texts = mrkdwnTexts(message);
      // Section text, fields, rows, errors, details, the count of errors left out and the link: all of them.
      expect(texts.length).toBeGreaterThanOrEqual(alert === failed ? 15 : 8);
      for (const text of texts) expect(text).toMatchObject({ type: 'mrkdwn', verbatim: true });
      const joined = texts.map((text) => text.text).join('\n');
      expect(joined).toContain(escaped);
      expect(joined).not.toContain('<!channel>');
      // The configured mention is the one markup left unescaped, and verbatim does not stop Slack honouring it.
      expect(texts[0]?.text.startsWith('<!here> ')).toBe(true);
    }
  });

  it('keeps a huge alert within Slack limits and counts the errors it leaves out', async () => {
    // '&', '<' and '>' grow when escaped, so the limits must hold after escaping
    const errors = Array.from({ length: 200 }, (_, index) => {
      return `error #${String(index).padStart(3, '0')}: ${'x & <y> '.repeat(80)}`;
    });
    const resources = Array.from({ length: 100 }, (_, index) => ({
      name: `resource-${index}-${'r'.repeat(60)}`,
      extracted: index,
      analyzed: null,
      loaded: null,
    }));
    const alert = failedAlert({ flow: { id: 1, name: `${'Long & '.repeat(40)}end` }, attempt: attempt({ errors, resources }) });
    const message = await postedMessage(alert);

    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const header = message.blocks[0]?.type === 'header' ? message.blocks[0].text.text : '';
    expect(header.length).toBeLessThanOrEqual(150);
    expect(header.endsWith('…')).toBe(true);
    for (const text of sectionTexts(message)) expect(text.length).toBeLessThanOrEqual(3000);
    for (const text of allTexts(message)) expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);

    const shown = new Set(allTexts(message).join('\n').match(/error #\d{3}/g));
    expect(shown.size).toBeGreaterThan(0);
    expect(allTexts(message).join('\n')).toContain(`… and ${200 - shown.size} more errors`);
    const shownResources = new Set(allTexts(message).join('\n').match(/resource-\d+-/g));
    expect(allTexts(message).join('\n')).toContain(`… and ${100 - shownResources.size} more`);
  });

  it.each<[string, Alert, string, string]>([
    ['a missed run', missedAlert(), 'MISSED RUN: Events to Snowflake', '*Missed runs*\n3'],
    ['a stalled run past a learned limit', learnedStalledAlert(), 'STALLED: Events to Snowflake', '*Usual runtime*\n4m–6m, p95 7m, median 5m'],
    ['a volume drop', volumeAlert(), 'VOLUME DROP: Events to Snowflake', '*Ran for*\n1h 5m'],
  ])('posts %s with its header and facts', async (_name, alert, header, fact) => {
    const message = await postedMessage(alert);
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: header } });
    expect(allTexts(message)).toContain(fact);
  });

  it('escapes a hostile resource name of a volume drop: it can neither ping nor link', async () => {
    const message = await postedMessage(volumeAlert([volumeDrop({ name: '<!channel> R&D <http://evil|click>' })]));
    const texts = sectionTexts(message).join('\n');
    expect(texts).toContain('• &lt;!channel&gt; R&amp;D &lt;http://evil|click&gt;: 0 rows (usually 1,200–1,900, median 1,500, over 30 runs)');
    expect(allTexts(message).join('\n')).not.toMatch(/<[!@]|<http:\/\/evil/);
  });

  it('cuts one enormous error instead of dropping it', async () => {
    const alert = failedAlert({ attempt: attempt({ errors: [`start ${'z'.repeat(10_000)}`] }) });
    const [errorsSection] = sectionTexts(await postedMessage(alert)).filter((text) => text.startsWith('*Errors'));
    expect(errorsSection?.length).toBeLessThanOrEqual(3000);
    expect(errorsSection).toMatch(/^\*Errors \(1\)\*\n```start z+…```$/);
  });
});

describe('Slack notifier failures', () => {
  it('treats a 500 as retryable', async () => {
    receiver.respondWith(answer(500, 'internal_error'));
    const error = await sendError(slackNotifier());
    expect(error).toMatchObject({ retryable: true, status: 500 });
  });

  it('treats a 429 as retryable and keeps Retry-After', async () => {
    receiver.respondWith(answer(429, 'rate_limited', { 'retry-after': '7' }));
    const error = await sendError(slackNotifier());
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000 });
  });

  it('reads a Retry-After given as a date against the injected clock', async () => {
    const now = Date.UTC(2026, 10, 29, 8, 0, 0);
    receiver.respondWith(answer(429, 'rate_limited', { 'retry-after': new Date(now + 30_000).toUTCString() }));
    const error = await sendError(slackNotifier({ now: () => now }));
    expect(error.retryAfterMs).toBe(30_000);
  });

  it('explains a revoked webhook (404 no_service) and does not retry it', async () => {
    receiver.respondWith(answer(404, 'no_service'));
    const error = await sendError(slackNotifier());
    expect(error).toMatchObject({ retryable: false, status: 404, code: 'no_service' });
    expect(error.message).toBe(
      'Slack webhook for notifier "oncall" was revoked or deleted (404 no_service): ' +
        'create a new incoming webhook and update the webhook URL of this notifier',
    );
  });

  it.each([
    [400, 'invalid_payload', 'portable-watch bug'],
    [403, 'action_prohibited', 'Slack admin'],
    [404, 'channel_not_found', 'no longer exists'],
    [410, 'channel_is_archived', 'archived channel'],
    [403, 'something_new', 'rejected by Slack (403 something_new)'],
  ])('treats %i %s as permanent', async (status, body, explanation) => {
    receiver.respondWith(answer(status, body));
    const error = await sendError(slackNotifier());
    expect(error).toMatchObject({ retryable: false, status });
    expect(error.message).toContain(explanation);
  });

  it('treats a refused connection as retryable', async () => {
    const notifier = createSlackNotifier({ name: 'oncall', webhookUrl: `http://127.0.0.1:${await unusedPort()}${WEBHOOK_PATH}` });
    const error = await sendError(notifier);
    expect(error).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
  });

  it('gives up on a receiver that does not answer, as retryable', async () => {
    receiver.respondWith(neverAnswer);
    const started = Date.now();
    const error = await sendError(slackNotifier({ timeoutMs: 300 }));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expect(error.message).toBe('sending to the Slack webhook for notifier "oncall" did not finish within 0.3s');
    expect(String(error)).toMatch(/^NotifierError: sending to the Slack webhook/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives up at its deadline also when the caller passed a signal that never fires', async () => {
    receiver.respondWith(neverAnswer);
    const error = await sendError(slackNotifier({ timeoutMs: 300 }), new AbortController().signal);
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
  });

  it('stops when the caller aborts, as retryable', async () => {
    receiver.respondWith(neverAnswer);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await sendError(slackNotifier(), controller.signal);
    expect(error).toMatchObject({ retryable: true, code: 'cancelled' });
    expect(error.message).toBe(
      'sending to the Slack webhook for notifier "oncall" was cancelled before it finished (shutting down?)',
    );
  });

  it('accepts an https webhook URL and reports itself as a Slack notifier', () => {
    const notifier = createSlackNotifier({ name: 'oncall', webhookUrl: `https://hooks.slack.com${WEBHOOK_PATH}` });
    expect(notifier).toMatchObject({ name: 'oncall', type: 'slack' });
  });

  it.each(['ftp://hooks.slack.com/services/T/B/x', 'hooks.slack.com/services/T/B/x'])(
    'refuses the webhook URL %j, telling the operator what to do',
    (webhookUrl) => {
      expect(() => createSlackNotifier({ name: 'oncall', webhookUrl })).toThrow(
        expect.objectContaining({
          message:
            'the webhook URL of Slack notifier "oncall" is not an http(s) URL: ' +
            "copy it again from Slack's incoming webhook settings",
          retryable: false,
          code: 'invalid_url',
        }),
      );
    },
  );

  it('refuses a webhook URL that is not a URL, without repeating it', () => {
    expect(() => createSlackNotifier({ name: 'oncall', webhookUrl: `hooks.slack.com/services/${SECRET}` })).toThrow(
      expect.objectContaining({ retryable: false, message: expect.not.stringContaining(SECRET) as unknown }),
    );
  });

  it('never puts the webhook URL into an error, however it is printed', async () => {
    const errors: NotifierError[] = [];
    const responders = [
      answer(404, 'no_service'),
      answer(500, 'oops'),
      answer(429, 'rate_limited', { 'retry-after': '1' }),
      answer(302, '', { location: `/moved/${SECRET}` }),
    ];
    for (const responder of responders) {
      receiver.respondWith(responder);
      errors.push(await sendError(slackNotifier()));
    }
    receiver.respondWith(neverAnswer);
    errors.push(await sendError(slackNotifier({ timeoutMs: 200 })));
    const refusedUrl = `http://127.0.0.1:${await unusedPort()}${WEBHOOK_PATH}`;
    errors.push(await sendError(createSlackNotifier({ name: 'oncall', webhookUrl: refusedUrl })));
    try {
      createSlackNotifier({ name: 'oncall', webhookUrl: `not a url ${SECRET}` });
    } catch (error) {
      errors.push(error as NotifierError);
    }

    expect(errors).toHaveLength(7);
    expect(errors[3]).toMatchObject({ retryable: false, code: 'redirect' });
    for (const error of errors) expectSecretFree(error, [SECRET, 'T0AAAA/B0BBBB']);
  });
});
