import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifier } from '../../src/notifiers/create-notifier.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { attempt, failedAlert } from './alert-fixtures.ts';
import { neverAnswer, startSlackReceiver } from './slack-receiver.ts';
import { startSmtpReceiver } from './smtp-receiver.ts';

/** A stream that keeps what was written, standing in for stdout. */
function memoryStream(): { stream: Writable; written: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, written: () => chunks.join('') };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(notifier: Notifier): Notifier {
  cleanups.push(() => notifier.close());
  return notifier;
}

describe('createNotifier', () => {
  it('builds a console notifier that prints the headline, facts and indented errors to the injected stream', async () => {
    const out = memoryStream();
    const notifier = track(createNotifier('terminal', { type: 'console' }, { consoleOut: out.stream }));
    const alert = failedAlert({ attempt: attempt({ errors: ['Table EVENTS does not exist\nat line 3', 'Load aborted'] }) });
    await notifier.send(alert);

    expect(notifier).toMatchObject({ name: 'terminal', type: 'console' });
    const lines = out.written().split('\n');
    expect(lines[0]).toBe('FAILED: Events to Snowflake (flow 689422) — attempt 632458');
    expect(out.written()).toMatch(/^ {2}Finished: +2026-11-29 08:52:48 UTC$/m);
    expect(out.written()).toContain('Errors (2):\n  - Table EVENTS does not exist\n    at line 3\n  - Load aborted\n');
    expect(out.written()).not.toContain('\u001b[');
  });

  it('builds a Slack notifier that uses the injected fetch and timeout', async () => {
    const slack = await startSlackReceiver();
    cleanups.push(() => slack.close());
    const requested: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      requested.push(input instanceof Request ? input.url : input.toString());
      return fetch(input, init);
    };
    const config = { type: 'slack', webhookUrl: slack.url('/services/T/B/x'), mention: '<!here>' } as const;
    const notifier = track(createNotifier('oncall', config, { fetch: countingFetch, timeoutMs: 1000 }));
    await notifier.send(failedAlert());
    expect(requested).toEqual([slack.url('/services/T/B/x')]);
    expect(slack.posts[0]?.body).toMatchObject({ text: '<!here> FAILED: Events to Snowflake (flow 689422) — attempt 632458' });

    slack.respondWith(neverAnswer);
    await expect(notifier.send(failedAlert())).rejects.toMatchObject({ retryable: true, code: 'timeout' });
  });

  it('builds an email notifier from the shared SMTP settings', async () => {
    const smtp = await startSmtpReceiver();
    cleanups.push(() => smtp.close());
    const email = { smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'watch@example.test' };
    const notifier = track(createNotifier('team-mail', { type: 'email', to: ['data@example.test'] }, { email }));
    await notifier.send(failedAlert());
    expect(smtp.mails.map((mail) => [mail.envelopeFrom, mail.envelopeTo])).toEqual([
      ['watch@example.test', ['data@example.test']],
    ]);
  });

  it('refuses an email notifier when no SMTP settings were given', () => {
    const create = () => createNotifier('team-mail', { type: 'email', to: ['data@example.test'] });
    expect(create).toThrow(NotifierError);
    expect(create).toThrow(
      expect.objectContaining({
        message: 'email notifier "team-mail" needs an SMTP server and a sender, and none are configured',
        retryable: false,
        code: 'ECONFIG',
      }),
    );
  });

  it('refuses an email notifier without recipients', () => {
    const email = { smtpUrl: 'smtp://127.0.0.1:25', from: 'watch@example.test' };
    expect(() => createNotifier('team-mail', { type: 'email', to: [] }, { email })).toThrow(/has no "to" addresses/);
  });
});
