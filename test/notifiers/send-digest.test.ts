import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleNotifier } from '../../src/notifiers/console-notifier.ts';
import { createEmailNotifier } from '../../src/notifiers/email/email-notifier.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import type { SlackMessage } from '../../src/notifiers/slack/render-slack-message.ts';
import { createSlackNotifier } from '../../src/notifiers/slack/slack-notifier.ts';
import { digestOf, storm } from './digest-fixtures.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { answer, neverAnswer, startSlackReceiver, type SlackReceiver } from './slack-receiver.ts';
import { startSmtpReceiver } from './smtp-receiver.ts';

const SECRET = 'xoxDigestWebhookToken1a2b3c';
const WEBHOOK_PATH = `/services/T0AAAA/B0BBBB/${SECRET}`;
/** The storm of issue 12: 300 flows loading into one warehouse, a few of them stalled rather than failed. */
const STORM = digestOf(storm(300, { stalledEvery: 30 }));
const HEADLINE = '300 alerts: 290 failed, 10 stalled';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function slackReceiver(): Promise<SlackReceiver> {
  const receiver = await startSlackReceiver();
  cleanups.push(() => receiver.close());
  return receiver;
}

async function rejection(sending: Promise<void>): Promise<NotifierError> {
  const error: unknown = await sending.then(
    () => new Error('the send succeeded'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifierError);
  return error as NotifierError;
}

describe('sendDigest through real receivers', () => {
  it('posts a storm of 300 to a Slack webhook as one message holding the counts, the lines and the trailer', async () => {
    const receiver = await slackReceiver();
    const notifier = createSlackNotifier({ name: 'oncall', webhookUrl: receiver.url(WEBHOOK_PATH), mention: '<!here>' });
    await notifier.sendDigest(STORM);

    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0]).toMatchObject({ path: WEBHOOK_PATH, contentType: 'application/json' });
    const message = receiver.posts[0]?.body as SlackMessage;
    expect(message.text).toBe(`<!here> ${HEADLINE}`);
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: HEADLINE } });
    const lines = message.blocks.flatMap((block) => (block.type === 'section' && block.text ? block.text.text.split('\n') : [])).filter((line) => line.startsWith('• '));
    const trailer = message.blocks.at(-1);
    const more = trailer?.type === 'context' ? /^… and (\d+) more: run portable-watch status$/.exec(trailer.elements[0]?.text ?? '') : null;
    expect(more).not.toBeNull();
    expect(lines.length + Number(more?.[1])).toBe(300);
    expect(lines[0]).toContain('Events 0 to Snowflake');
  });

  it('classifies a Slack 429 on a digest like one on an alert, with the wait Slack asked for', async () => {
    const receiver = await slackReceiver();
    receiver.respondWith(answer(429, 'rate_limited', { 'retry-after': '30' }));
    const notifier = createSlackNotifier({ name: 'oncall', webhookUrl: receiver.url(WEBHOOK_PATH) });
    const error = await rejection(notifier.sendDigest(STORM));
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 30_000 });
    expect(error.message).toBe('Slack webhook for notifier "oncall" is rate limited by Slack (429); it asked us to wait for 30s');
    expectSecretFree(error, [SECRET]);
  });

  it('gives up on a digest at the same deadline as on an alert', async () => {
    const receiver = await slackReceiver();
    receiver.respondWith(neverAnswer);
    const notifier = createSlackNotifier({ name: 'oncall', webhookUrl: receiver.url(WEBHOOK_PATH), timeoutMs: 200 });
    const error = await rejection(notifier.sendDigest(STORM));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
  });

  it('mails a storm of 300 as one message whose subject counts them and whose body names each', async () => {
    const smtp = await startSmtpReceiver();
    cleanups.push(() => smtp.close());
    const notifier: Notifier = createEmailNotifier({
      name: 'team-mail',
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'portable-watch@example.test',
      to: ['data@example.test'],
    });
    cleanups.push(() => notifier.close());
    await notifier.sendDigest(STORM);

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.parsed.subject).toBe(`[portable-watch] ${HEADLINE}`);
    const body = mail.parsed.text ?? '';
    expect(body.startsWith(`${HEADLINE}\n`)).toBe(true);
    expect(body.split('\n').filter((line) => /^- (FAILED|STALLED): /.test(line))).toHaveLength(300);
    expect(body).toContain('- FAILED: Events 298 to Snowflake (flow 100298) — SQL compilation error: warehouse EVENTS_WH is suspended\n');
    expect(body).toContain('\nEach alert in full: run portable-watch status\n');
  });

  it('prints a storm of 300 on the console, every line and the trailer', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'));
        callback();
      },
    });
    await createConsoleNotifier({ name: 'terminal', out }).sendDigest(STORM);
    const printed = chunks.join('');
    expect(chunks).toHaveLength(1);
    expect(printed.startsWith(`${HEADLINE}\n`)).toBe(true);
    expect(printed.split('\n').filter((line) => /^- (FAILED|STALLED): /.test(line))).toHaveLength(300);
    expect(printed.endsWith('Each alert in full: run portable-watch status\n\n')).toBe(true);
  });

  it('reports a console that cannot be written as a failed digest', async () => {
    const broken = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        callback(new Error('EPIPE'));
      },
    });
    broken.on('error', () => undefined);
    const error = await rejection(createConsoleNotifier({ name: 'terminal', out: broken }).sendDigest(STORM));
    expect(error).toMatchObject({ message: 'console notifier "terminal" could not write the digest (Error)', retryable: false });
  });
});
