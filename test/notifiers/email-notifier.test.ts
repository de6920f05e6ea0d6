import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { createEmailNotifier, type EmailNotifierOptions } from '../../src/notifiers/email/email-notifier.ts';
import { renderEmail } from '../../src/notifiers/email/render-email.ts';
import { NotifierError, type Notifier } from '../../src/notifiers/notifier.ts';
import { failedAlert } from './alert-fixtures.ts';
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

  it('renders a one-line subject whatever the flow name holds (not relying on nodemailer to fold it)', () => {
    const { subject } = renderEmail(failedAlert({ flow: { id: 1, name: 'a\r\nBcc: x@evil.test\u0000\u2028b\tc' } }));
    expect(subject).toBe('[portable-watch] FAILED: a Bcc: x@evil.test b c (flow 1)');
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
  });

  it('refuses an SMTP URL it cannot use, without repeating it', () => {
    for (const smtpUrl of [`http://alerts:${PASSWORD}@mail.example.test`, `alerts:${PASSWORD}`]) {
      expect(() => createEmailNotifier({ name: 'team-mail', smtpUrl, from: FROM, to: TO })).toThrow(
        expect.objectContaining({ retryable: false, message: expect.not.stringContaining(PASSWORD) as unknown }),
      );
    }
  });
});
