import type { Alert } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { alertHeadline, flowIdNote } from '../alert-facts.ts';
import { digestHeadline } from '../digest-facts.ts';
import { formatCount } from '../format-text.ts';
import { renderPlainDigest } from '../render-plain-digest.ts';
import { renderPlainText } from '../render-plain-text.ts';

export interface RenderedEmail {
  /** Safe to use as a header: one line, no control characters. */
  subject: string;
  text: string;
}

/** What mail filters match on: every message portable-watch sends starts with it. */
const SUBJECT_PREFIX = '[portable-watch]';
/** Long enough for any real flow name; mail clients cut far earlier anyway. */
const MAX_SUBJECT_CHARS = 200;

/**
 * Subject and plain-text body. Plain text only: it reads the same in every client and cannot run anything. The
 * severity follows the prefix (`[portable-watch] [critical] FAILED: …`), so filters on either keep working.
 */
export function renderEmail(alert: Alert): RenderedEmail {
  const footer = `--\nSent by portable-watch. Alert ${headerValue(alert.key)}.`;
  return {
    subject: emailSubject(`${alertHeadline(alert)}${flowIdNote(alert)}`),
    text: `${renderPlainText(alert)}\n${footer}\n`,
  };
}

/**
 * Alerts a digest email names one by one; the rest are counted. A storm of thousands in one mail is scrolled past,
 * not read, and the counts at the top already say what happened.
 */
export const MAX_EMAIL_DIGEST_LINES = 500;

/** `[portable-watch] 295 alerts: 290 failed, 5 stalled`, and the digest as plain text. */
export function renderDigestEmail(digest: Digest): RenderedEmail {
  const total = digest.alerts.length;
  const footer = `--\nSent by portable-watch: ${formatCount(total)} ${total === 1 ? 'alert' : 'alerts'} in one message.`;
  return {
    subject: emailSubject(digestHeadline(digest)),
    text: `${renderPlainDigest(digest, { maxLines: MAX_EMAIL_DIGEST_LINES })}\n${footer}\n`,
  };
}

/** `[portable-watch] …` as a header value, cut to a length mail clients show. */
export function emailSubject(text: string): string {
  const subject = headerValue(`${SUBJECT_PREFIX} ${text}`);
  return subject.length <= MAX_SUBJECT_CHARS ? subject : `${subject.slice(0, MAX_SUBJECT_CHARS - 1)}…`;
}

/**
 * Makes text safe to put in a mail header: every run of CR, LF or other control characters (and the Unicode
 * line separators) becomes one space. A flow named "x\r\nBcc: someone" would otherwise add a header, and
 * with it a recipient.
 */
export function headerValue(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ')
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}
