import type { NodemailerError } from 'nodemailer';
import { NotifierError } from '../notifier.ts';
import { headerValue } from './render-email.ts';

export interface SmtpErrorContext {
  notifierName: string;
  /** `host:port` of the SMTP server: not secret, and the first thing to check when it cannot be reached. */
  server: string;
  /** Strings that must never appear in a message (the SMTP password, raw and URL-encoded). */
  secrets: string[];
}

/** Errors where the connection failed, not the message: another attempt may well succeed. */
const CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY']);

/** Errors that only a change of configuration fixes. */
const CONFIG_HINTS: Record<string, string> = {
  EAUTH: 'check the user and password in the SMTP URL',
  ENOAUTH: 'the server requires a login: put user and password into the SMTP URL',
  ETLS: 'check smtp:// (STARTTLS) versus smtps:// (TLS from the start) and the port in the SMTP URL',
  EREQUIRETLS: 'the server does not support REQUIRETLS',
  ECONFIG: 'check the SMTP URL',
};

/**
 * Turns a nodemailer error into a NotifierError, reading only its code, reply code, command and the server's
 * reply. The reply is the most useful part ("550 5.1.1 user unknown") but comes from the server, so it is
 * cleaned and any secret is blanked out of it. Nodemailer's own message is not used.
 */
export function classifySmtpError(error: unknown, context: SmtpErrorContext): NotifierError {
  const smtpError = (error ?? {}) as NodemailerError;
  const who = `email notifier "${context.notifierName}"`;
  const code = safeCode(smtpError.code);
  const responseCode = typeof smtpError.responseCode === 'number' ? smtpError.responseCode : undefined;

  if (responseCode !== undefined) {
    // nodemailer sets `permanent` from the reply class (5xx except 503); trust it when present
    const permanent = smtpError.permanent ?? (responseCode >= 500 && responseCode !== 503);
    const reply = serverReply(smtpError.response, responseCode, context.secrets);
    const subject = `${rejectionSubject(smtpError.command, code)} for ${who} (${reply})`;
    const message = permanent
      ? `the SMTP server ${context.server} rejected ${subject}: ${permanentHint(code, smtpError.command)}`
      : `the SMTP server ${context.server} temporarily refused ${subject}`;
    return new NotifierError(message, { retryable: !permanent, status: responseCode, code });
  }
  const hint = configHint(code);
  if (code !== undefined && hint !== undefined) {
    return new NotifierError(`${who} could not send through ${context.server} (${code}): ${hint}`, {
      retryable: false,
      code,
    });
  }
  if (code !== undefined && CONNECTION_CODES.has(code)) {
    const original = safeCode(smtpError.originalCode) === undefined ? '' : ` ${smtpError.originalCode}`;
    const message = `${who} could not reach the SMTP server ${context.server} (${code}${original})`;
    return new NotifierError(message, { retryable: true, code });
  }
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || code === 'EMAXRECIPIENTS') {
    const message = `${who} could not build a valid message (${code}): check its "to" addresses and the "from" address`;
    return new NotifierError(message, { retryable: false, code });
  }
  const message = `${who} failed to send through ${context.server} (${code ?? 'unknown error'})`;
  return new NotifierError(message, { retryable: true, code });
}

/** Some recipients took the message and some did not: retrying would repeat it for the first ones. */
export function partialRejectionError(notifierName: string, accepted: string[], rejected: string[]): NotifierError {
  const what = `delivered the alert to ${accepted.join(', ')} but the server rejected ${rejected.join(', ')}`;
  return new NotifierError(`email notifier "${notifierName}" ${what}: check those "to" addresses`, {
    retryable: false,
    code: 'EENVELOPE',
  });
}

function rejectionSubject(command: string | undefined, code: string | undefined): string {
  if (code === 'EAUTH') return 'the login';
  if (command === 'RCPT TO') return 'the recipients';
  if (command === 'MAIL FROM') return 'the sender address';
  return 'the message';
}

/** Error codes are short upper-case words; anything else is not repeated. */
function safeCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
}

function configHint(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(CONFIG_HINTS, code) ? CONFIG_HINTS[code] : undefined;
}

function permanentHint(code: string | undefined, command: string | undefined): string {
  const hint = configHint(code);
  if (hint !== undefined) return hint;
  if (command === 'RCPT TO') return 'check the notifier\'s "to" addresses';
  if (command === 'MAIL FROM') return 'check the "from" address; the server may only allow its own domain';
  return 'check the server\'s reply and the email settings';
}

function serverReply(response: string | undefined, responseCode: number, secrets: string[]): string {
  if (typeof response !== 'string' || response === '') return String(responseCode);
  let reply = headerValue(response);
  for (const secret of secrets) {
    if (secret !== '') reply = reply.split(secret).join('***');
  }
  return reply.length <= 200 ? reply : `${reply.slice(0, 199)}…`;
}
