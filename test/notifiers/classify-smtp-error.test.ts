import { describe, expect, it } from 'vitest';
import { classifySmtpError, partialRejectionError } from '../../src/notifiers/email/classify-smtp-error.ts';
import { expectClassified } from './expect-classified.ts';

const CONTEXT = { notifierName: 'team-mail', server: 'mail.example.test:587', secrets: ['hunter2', 'hunter%32'] };
const WHO = 'email notifier "team-mail"';
const SERVER = 'the SMTP server mail.example.test:587';

interface ClassifyCase {
  name: string;
  /** What nodemailer threw (or anything else that reached the notifier). */
  error: unknown;
  message: string;
  retryable: boolean;
  status?: number;
  code?: string;
}

const replies: ClassifyCase[] = [
  {
    name: 'a rejected recipient without nodemailer\'s "permanent" flag (5xx)',
    error: { responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 No such user' },
    message: `${SERVER} rejected the recipients for ${WHO} (550 5.1.1 No such user): check the notifier's "to" addresses`,
    retryable: false,
    status: 550,
  },
  {
    name: 'a 500 reply, the lowest permanent one',
    error: { responseCode: 500, command: 'DATA', response: '500 5.5.1 Command unrecognized' },
    message: `${SERVER} rejected the message for ${WHO} (500 5.5.1 Command unrecognized): check the server's reply and the email settings`,
    retryable: false,
    status: 500,
  },
  {
    name: 'a 503 reply (bad sequence, not a verdict on the message)',
    error: { responseCode: 503, command: 'DATA', response: '503 5.5.1 Bad sequence of commands' },
    message: `${SERVER} temporarily refused the message for ${WHO} (503 5.5.1 Bad sequence of commands)`,
    retryable: true,
    status: 503,
  },
  {
    name: 'a temporary refusal (4xx)',
    error: { responseCode: 451, command: 'RCPT TO', response: '451 4.3.0 Try again later' },
    message: `${SERVER} temporarily refused the recipients for ${WHO} (451 4.3.0 Try again later)`,
    retryable: true,
    status: 451,
  },
  {
    name: 'a 4xx that nodemailer marked permanent (its flag wins)',
    error: { responseCode: 452, permanent: true, command: 'DATA', response: '452 4.3.1 Insufficient storage' },
    message: `${SERVER} rejected the message for ${WHO} (452 4.3.1 Insufficient storage): check the server's reply and the email settings`,
    retryable: false,
    status: 452,
  },
  {
    name: 'a 5xx that nodemailer marked not permanent (its flag wins)',
    error: { responseCode: 554, permanent: false, command: 'DATA', response: '554 5.7.0 Try later' },
    message: `${SERVER} temporarily refused the message for ${WHO} (554 5.7.0 Try later)`,
    retryable: true,
    status: 554,
  },
  {
    name: 'a refused sender address',
    error: { responseCode: 553, permanent: true, command: 'MAIL FROM', response: '553 5.7.1 Sender not allowed' },
    message:
      `${SERVER} rejected the sender address for ${WHO} (553 5.7.1 Sender not allowed): ` +
      'check the "from" address; the server may only allow its own domain',
    retryable: false,
    status: 553,
  },
  {
    name: 'a refused login, blanking the password out of the reply',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      permanent: true,
      command: 'AUTH PLAIN',
      response: '535 5.7.8 Authentication failed: hunter2 (hunter%32)',
    },
    message: `${SERVER} rejected the login for ${WHO} (535 5.7.8 Authentication failed: *** (***)): check the user and password in the SMTP URL`,
    retryable: false,
    status: 535,
    code: 'EAUTH',
  },
  {
    name: 'a reply without text',
    error: { responseCode: 421, command: 'RCPT TO' },
    message: `${SERVER} temporarily refused the recipients for ${WHO} (421)`,
    retryable: true,
    status: 421,
  },
  {
    name: 'a reply with empty text',
    error: { responseCode: 550, command: 'RCPT TO', response: '' },
    message: `${SERVER} rejected the recipients for ${WHO} (550): check the notifier's "to" addresses`,
    retryable: false,
    status: 550,
  },
];

const failures: ClassifyCase[] = [
  {
    name: 'a TLS mismatch, which only the config can fix',
    error: { code: 'ETLS' },
    message: `${WHO} could not send through mail.example.test:587 (ETLS): check smtp:// (STARTTLS) versus smtps:// (TLS from the start) and the port in the SMTP URL`,
    retryable: false,
    code: 'ETLS',
  },
  {
    name: 'a refused connection, naming the socket error',
    error: { code: 'ESOCKET', originalCode: 'ECONNREFUSED' },
    message: `${WHO} could not reach the SMTP server mail.example.test:587 (ESOCKET ECONNREFUSED)`,
    retryable: true,
    code: 'ESOCKET',
  },
  {
    name: 'a connection error carrying a reply code that is not a number',
    error: { code: 'ECONNECTION', responseCode: '421' },
    message: `${WHO} could not reach the SMTP server mail.example.test:587 (ECONNECTION)`,
    retryable: true,
    code: 'ECONNECTION',
  },
  {
    name: 'a connection timeout without an underlying code',
    error: { code: 'ETIMEDOUT' },
    message: `${WHO} could not reach the SMTP server mail.example.test:587 (ETIMEDOUT)`,
    retryable: true,
    code: 'ETIMEDOUT',
  },
  {
    name: 'a connection error whose underlying code is not a plain code',
    error: { code: 'EDNS', originalCode: 'getaddrinfo ENOTFOUND mail.example.test' },
    message: `${WHO} could not reach the SMTP server mail.example.test:587 (EDNS)`,
    retryable: true,
    code: 'EDNS',
  },
  ...['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS'].map((code) => ({
    name: `a message nodemailer cannot build (${code})`,
    error: { code },
    message: `${WHO} could not build a valid message (${code}): check its "to" addresses and the "from" address`,
    retryable: false,
    code,
  })),
  {
    name: 'an error code it does not know',
    error: { code: 'ESTREAM' },
    message: `${WHO} failed to send through mail.example.test:587 (ESTREAM)`,
    retryable: true,
    code: 'ESTREAM',
  },
  ...[
    { name: 'a plain Error', error: new Error('connect ECONNREFUSED 10.0.0.5:587') },
    { name: 'null', error: null },
    { name: 'a numeric code', error: { code: 42 } },
    { name: 'a code that is a sentence starting with a code', error: { code: 'ESOCKET at 10.0.0.5:587' } },
    { name: 'a code that is a sentence ending in a code', error: { code: 'socket error ESOCKET' } },
  ].map(({ name, error }) => ({
    name: `${name}, without repeating anything but a plain code`,
    error,
    message: `${WHO} failed to send through mail.example.test:587 (unknown error)`,
    retryable: true,
  })),
];

describe('classifySmtpError', () => {
  it.each([...replies, ...failures])('classifies $name', ({ error, message, retryable, status, code }) => {
    expectClassified(classifySmtpError(error, CONTEXT), { message, retryable, status, code });
  });

  it('keeps a reply of 200 characters and cuts a longer one', () => {
    const reply = (length: number) => `550 ${'x'.repeat(length - 4)}`;
    const shown = (length: number) =>
      /\((550 x*…?)\)/.exec(classifySmtpError({ responseCode: 550, response: reply(length) }, CONTEXT).message)?.[1];
    expect(shown(200)).toBe(reply(200));
    expect(shown(201)).toBe(`${reply(201).slice(0, 199)}…`);
  });

  it('ignores an empty secret instead of blanking out the whole reply', () => {
    const error = { responseCode: 550, command: 'RCPT TO', response: '550 No such user' };
    const classified = classifySmtpError(error, { ...CONTEXT, secrets: [''] });
    expect(classified.message).toContain('(550 No such user)');
  });
});

describe('partialRejectionError', () => {
  it('names every accepted and every rejected address and is not retried', () => {
    const error = partialRejectionError('team-mail', ['a@example.test', 'b@example.test'], ['c@example.test', 'd@example.test']);
    expect(error.message).toBe(
      'email notifier "team-mail" delivered the alert to a@example.test, b@example.test but the server rejected ' +
        'c@example.test, d@example.test: check those "to" addresses',
    );
    expect(error).toMatchObject({ retryable: false, code: 'EENVELOPE' });
  });
});
