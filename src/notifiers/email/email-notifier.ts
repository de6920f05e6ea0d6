import nodemailer from 'nodemailer';
import type { Alert } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { interruptedSendError, NotifierError, sendDeadline, type Notifier, type SendOptions } from '../notifier.ts';
import { classifySmtpError, partialRejectionError, type SmtpErrorContext } from './classify-smtp-error.ts';
import { headerValue, renderDigestEmail, renderEmail, type RenderedEmail } from './render-email.ts';

/** Shared by every email notifier: the server and the sender. */
export interface EmailSettings {
  /** `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465`. Secret: never logged. */
  smtpUrl: string;
  from: string;
}

export interface EmailNotifierOptions extends EmailSettings {
  name: string;
  to: string[];
  /** The longest one send may take, including connecting and queueing in the pool. */
  timeoutMs?: number;
}

export const DEFAULT_EMAIL_TIMEOUT_MS = 60_000;

/**
 * nodemailer's defaults are minutes. A send that hangs holds a notification job and, on shutdown, the
 * worker; the per-send deadline (an abort signal) also ends a server that trickles replies, which no socket
 * timeout notices.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;

/** Sends alerts, and storms' digests, as plain-text email through one pooled SMTP transport per notifier. */
export function createEmailNotifier(options: EmailNotifierOptions): Notifier {
  const { name } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_EMAIL_TIMEOUT_MS;
  const errorContext = smtpErrorContext(name, options.smtpUrl);
  const from = headerValue(options.from);
  const to = options.to.map(headerValue).filter((address) => address !== '');
  if (to.length === 0) {
    throw new NotifierError(`email notifier "${name}" has no "to" addresses: add at least one`, {
      retryable: false,
      code: 'ECONFIG',
    });
  }
  // logger stays off: nodemailer's debug log would include the AUTH exchange
  const transport = nodemailer.createTransport({ url: options.smtpUrl, pool: true, logger: false, ...SMTP_TIMEOUTS });

  /** One alert or one digest: the same deadline, error classification and check of refused recipients. */
  async function deliver({ subject, text }: RenderedEmail, sendOptions: SendOptions): Promise<void> {
    const deadline = sendDeadline(timeoutMs, sendOptions.signal);
    let info: { accepted?: string[] | undefined; rejected?: string[] | undefined };
    try {
      info = await transport.sendMail({ from, to, subject, text, signal: deadline.signal });
    } catch (error) {
      const interrupted = interruptedSendError(deadline, `sending email for notifier "${name}"`, timeoutMs);
      throw interrupted ?? classifySmtpError(error, errorContext);
    }
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) throw partialRejectionError(name, info.accepted ?? [], rejected);
  }

  return {
    name,
    type: 'email',
    async send(alert: Alert, sendOptions: SendOptions = {}): Promise<void> {
      await deliver(renderEmail(alert), sendOptions);
    },
    async sendDigest(digest: Digest, sendOptions: SendOptions = {}): Promise<void> {
      await deliver(renderDigestEmail(digest), sendOptions);
    },
    close(): Promise<void> {
      // Idle pooled connections close at once; one that is delivering finishes first.
      transport.close();
      return Promise.resolve();
    },
  };
}

/**
 * Checks the SMTP URL up front (an error at start-up beats one at the first alert) and keeps what error
 * messages may say about it: host and port, and the password to blank out of server replies.
 */
function smtpErrorContext(name: string, smtpUrl: string): SmtpErrorContext {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw invalidSmtpUrl(name);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw invalidSmtpUrl(name);
  const port = url.port === '' ? (url.protocol === 'smtps:' ? '465' : '587') : url.port;
  return { notifierName: name, server: `${url.hostname}:${port}`, secrets: passwordForms(url.password) };
}

function passwordForms(encoded: string): string[] {
  if (encoded === '') return [];
  let decoded = encoded;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    // a malformed escape is passed to nodemailer as it is, so the encoded form is the one to hide
  }
  return [...new Set([encoded, decoded])];
}

function invalidSmtpUrl(name: string): NotifierError {
  const expected = 'a valid smtp:// or smtps:// URL (e.g. smtp://user:password@mail.example.com:587)';
  return new NotifierError(`the SMTP URL for email notifier "${name}" is not ${expected}`, {
    retryable: false,
    code: 'ECONFIG',
  });
}
