import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { createEmailNotifier, type EmailNotifierOptions } from '../../src/notifiers/email/email-notifier.ts';
import { headerValue, renderEmail } from '../../src/notifiers/email/render-email.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { failedAlert, missedAlert, partialAlert } from './alert-fixtures.ts';
import { expectSecretFree } from './expect-secret-free.ts';
import { unusedPort } from './slack-receiver.ts';
import { startSmtpReceiver, type SmtpReceiver, type SmtpReceiverOptions } from './smtp-receiver.ts';

const PASSWORD = 'p@ss:w0rd/Secret-42';
const LOGIN = { user: 'alerts', password: PASSWORD };
const FROM = 'portable-watch@example.test';
const TO = ['oncall@example.test', 'data@example.test'];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // notifiers first: smtp-server waits for open sessions before it closes
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const started = await startSmtpReceiver(options);
  cleanups.push(() => started.close());
  return started;
}

function smtpUrl(port: number): string {
  return `smtp://${LOGIN.user}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
}

function emailNotifier(port: number, options: Partial<EmailNotifierOptions> = {}): Notifier {
  const notifier = createEmailNotifier({ name: 'team-mail', smtpUrl: smtpUrl(port), from: FROM, to: TO, ...options });
  cleanups.push(() => notifier.close());
  return notifier;
}

async function sendError(notifier: Notifier, alert: Alert = failedAlert()): Promise<NotifierError> {
  const error: unknown = await notifier.send(alert).then(
    () => new Error('the send succeeded'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifierError);
  expectSecretFree(error as NotifierError, [PASSWORD, encodeURIComponent(PASSWORD)]);
  return error as NotifierError;
}

describe('email notifier against a real SMTP receiver', () => {
  it('logs in with the credentials in the URL and delivers subject, from, to, facts and errors', async () => {
    const smtp = await receiver({ login: LOGIN });
    await emailNotifier(smtp.port).send(failedAlert());

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.user).toBe('alerts');
    expect(mail.envelopeFrom).toBe(FROM);
    expect(mail.envelopeTo).toEqual(TO);
    expect(mail.parsed.subject).toBe('[portable-watch] FAILED: Events to Snowflake (flow 689422)');
    expect(mail.parsed.from?.text).toBe(FROM);
    const to = Array.isArray(mail.parsed.to) ? mail.parsed.to : [mail.parsed.to];
    expect(to.flatMap((group) => group?.value.map((address) => address.address) ?? [])).toEqual(TO);
    const body = mail.parsed.text ?? '';
    expect(body).toMatch(/^ {2}Attempt: +632458$/m);
    expect(body).toMatch(/^ {2}Ran for: +1h 5m$/m);
    expect(body).toContain('  - SQL compilation error: Table EVENTS does not exist\n  - Load aborted after 1 error');
    expect(body).toContain('Open in Portable: https://app.portable.io/flows/689422');
  });

  it('cannot be made to add a header or a recipient through the flow name', async () => {
    const smtp = await receiver();
    const name = 'Evil\r\nBcc: attacker@evil.test\r\nX-Injected: yes\nTo: attacker@evil.test';
    await emailNotifier(smtp.port).send(failedAlert({ flow: { id: 1, name } }));

    const mail = smtp.mails[0]!;
    expect(mail.envelopeTo).toEqual(TO);
    expect(mail.parsed.headers.has('bcc')).toBe(false);
    expect(mail.parsed.headers.has('x-injected')).toBe(false);
    expect(JSON.stringify(mail.parsed.to)).not.toContain('attacker');
    expect(mail.parsed.subject).toBe(
      '[portable-watch] FAILED: Evil Bcc: attacker@evil.test X-Injected: yes To: attacker@evil.test (flow 1)',
    );
  });

  it('delivers a partial load and a missed run as plain text only, a hostile resource name as written', async () => {
    const smtp = await receiver();
    const name = '<script>alert(1)</script> *bold* & <b>co</b>';
    const notifier = emailNotifier(smtp.port);
    await notifier.send(partialAlert([{ name, extracted: 10, loaded: 4, errors: ['<img src=x onerror=alert(1)>'] }]));
    await notifier.send(missedAlert());

    const [partial, missed] = smtp.mails;
    expect(partial?.parsed.subject).toBe('[portable-watch] PARTIAL LOAD: Events to Snowflake (flow 689422)');
    // No HTML part anywhere: nothing a mail client could render or run.
    expect(partial?.parsed.html).toBe(false);
    expect(partial?.parsed.headers.get('content-type')).toMatchObject({ value: 'text/plain' });
    const body = partial?.parsed.text ?? '';
    expect(body).toContain(`Resources not fully loaded (1 of 3):\n  ${name}: 10 extracted · 4 loaded (60% missing)\n    - <img src=x onerror=alert(1)>`);
    expect(missed?.parsed.subject).toBe('[portable-watch] MISSED RUN: Events to Snowflake (flow 689422)');
    expect(missed?.parsed.text).toMatch(/^ {2}Missed runs: +3$/m);
  });

  it('renders a one-line subject whatever the flow name holds (not relying on nodemailer to fold it)', () => {
    const { subject } = renderEmail(failedAlert({ flow: { id: 1, name: 'a\r\nBcc: x@evil.test\u0000\u2028b\tc' } }));
    expect(subject).toBe('[portable-watch] FAILED: a Bcc: x@evil.test b c (flow 1)');
  });

  it('ends the body with a footer naming the alert', () => {
    expect(renderEmail(failedAlert()).text.endsWith('\n\n--\nSent by portable-watch. Alert 689422:632458:failed.\n')).toBe(true);
  });

  it('keeps a subject of 200 characters and cuts a longer one', () => {
    const subject = (nameLength: number) => renderEmail(failedAlert({ flow: { id: 1, name: 'n'.repeat(nameLength) } })).subject;
    // '[portable-watch] FAILED: ' and ' (flow 1)' take 34 characters
    expect(subject(166)).toBe(`[portable-watch] FAILED: ${'n'.repeat(166)} (flow 1)`);
    expect(subject(167)).toBe(`[portable-watch] FAILED: ${'n'.repeat(167)} (flow …`);
  });

  it.each([
    [' \r\nBcc: x@evil.test\t\t y \u2028', 'Bcc: x@evil.test y'],
    ['Events  to   Snowflake', 'Events to Snowflake'],
    ['\u202eevil\u2066', 'evil'],
  ])('makes %j a one-line header value: %j', (text, expected) => {
    expect(headerValue(text)).toBe(expected);
  });

  it('reports itself as an email notifier and prints nothing to the console while sending', async () => {
    const smtp = await receiver({ login: LOGIN });
    const printed: unknown[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args);
      }),
    );
    try {
      const notifier = emailNotifier(smtp.port);
      expect(notifier.type).toBe('email');
      await notifier.send(failedAlert());
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(smtp.mails).toHaveLength(1);
    expect(printed).toEqual([]);
  });

  it('sends consecutive alerts over one pooled connection', async () => {
    const smtp = await receiver();
    const notifier = emailNotifier(smtp.port);
    await notifier.send(failedAlert());
    await notifier.send(failedAlert());
    expect(smtp.mails).toHaveLength(2);
    expect(smtp.connectionsOpened()).toBe(1);
  });

  it('drops "to" addresses that are empty once cleaned, and refuses a list with none left', async () => {
    const smtp = await receiver();
    await emailNotifier(smtp.port, { to: [' \r\n', 'oncall@example.test', '\u0007'] }).send(failedAlert());
    expect(smtp.mails.map((mail) => mail.envelopeTo)).toEqual([['oncall@example.test']]);

    expect(() => createEmailNotifier({ name: 'team-mail', smtpUrl: smtpUrl(smtp.port), from: FROM, to: [' \r\n', '\t'] })).toThrow(
      expect.objectContaining({
        message: 'email notifier "team-mail" has no "to" addresses: add at least one',
        retryable: false,
        code: 'ECONFIG',
      }),
    );
  });

  it('closes its pooled connection on close()', async () => {
    const smtp = await receiver();
    const notifier = emailNotifier(smtp.port);
    await notifier.send(failedAlert());
    expect(smtp.openConnections()).toBe(1);
    await notifier.close();
    await vi.waitFor(() => expect(smtp.openConnections()).toBe(0));
  });
});

describe('email notifier failures', () => {
  it('treats a rejected recipient (550) as permanent', async () => {
    const smtp = await receiver({ rejectRecipient: () => ({ responseCode: 550, message: '5.1.1 No such user here' }) });
    const error = await sendError(emailNotifier(smtp.port));
    expect(error).toMatchObject({ retryable: false, status: 550 });
    expect(error.message).toContain(`rejected the recipients for email notifier "team-mail" (550 5.1.1 No such user here)`);
  });

  it('treats a temporary refusal (451) as retryable', async () => {
    const smtp = await receiver({ rejectRecipient: () => ({ responseCode: 451, message: '4.3.0 Try again later' }) });
    const error = await sendError(emailNotifier(smtp.port));
    expect(error).toMatchObject({ retryable: true, status: 451 });
  });

  it('does not resend when only some recipients were rejected, and says which', async () => {
    const smtp = await receiver({
      rejectRecipient: (address) =>
        address === 'data@example.test' ? { responseCode: 550, message: 'No such user' } : undefined,
    });
    const error = await sendError(emailNotifier(smtp.port));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('delivered the alert to oncall@example.test but the server rejected data@example.test');
    expect(smtp.mails.map((mail) => mail.envelopeTo)).toEqual([['oncall@example.test']]);
  });

  it('treats a refused login as permanent and blanks the password out of the server reply', async () => {
    const smtp = await receiver({ login: { user: 'alerts', password: 'the-real-one' } });
    const error = await sendError(emailNotifier(smtp.port));
    expect(error).toMatchObject({ retryable: false, status: 535, code: 'EAUTH' });
    expect(error.message).toContain('with password ***');
    expect(error.message).toContain('check the user and password in the SMTP URL');
  });

  it('treats a server that is down as retryable', async () => {
    const port = await unusedPort();
    const error = await sendError(emailNotifier(port));
    expect(error).toMatchObject({ retryable: true, code: 'ESOCKET' });
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('gives up on a server that never greets, as retryable', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as net.AddressInfo;
    const error = await sendError(emailNotifier(port, { timeoutMs: 300 }));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expect(error.message).toBe('sending email for notifier "team-mail" did not finish within 0.3s');
  });

  it('reports a server reply unchanged when the SMTP URL has no password to blank out', async () => {
    const smtp = await receiver({ rejectRecipient: () => ({ responseCode: 550, message: '5.1.1 No such user here' }) });
    const notifier = createEmailNotifier({ name: 'team-mail', smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: FROM, to: TO });
    cleanups.push(() => notifier.close());
    const error = await sendError(notifier);
    expect(error.message).toContain('(550 5.1.1 No such user here)');
  });

  it.each([
    ['smtp', '587'],
    ['smtps', '465'],
  ])('names the default port of %s:// when the URL gives none', async (scheme, port) => {
    const notifier = createEmailNotifier({ name: 'team-mail', smtpUrl: `${scheme}://127.0.0.1`, from: FROM, to: TO, timeoutMs: 5000 });
    cleanups.push(() => notifier.close());
    const error = await sendError(notifier);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toContain(`could not reach the SMTP server 127.0.0.1:${port} (`);
  });

  it('refuses an SMTP URL it cannot use, naming the notifier and the expected form', () => {
    for (const smtpUrl of ['http://mail.example.test', 'not a url']) {
      expect(() => createEmailNotifier({ name: 'team-mail', smtpUrl, from: FROM, to: TO })).toThrow(
        expect.objectContaining({
          message:
            'the SMTP URL for email notifier "team-mail" is not a valid smtp:// or smtps:// URL ' +
            '(e.g. smtp://user:password@mail.example.com:587)',
          retryable: false,
          code: 'ECONFIG',
        }),
      );
    }
  });

  it('refuses an SMTP URL it cannot use, without repeating it', () => {
    for (const smtpUrl of [`http://alerts:${PASSWORD}@mail.example.test`, `alerts:${PASSWORD}`]) {
      expect(() => createEmailNotifier({ name: 'team-mail', smtpUrl, from: FROM, to: TO })).toThrow(
        expect.objectContaining({ retryable: false, message: expect.not.stringContaining(PASSWORD) as unknown }),
      );
    }
  });
});
