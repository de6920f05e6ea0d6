import type { Alert } from '../../alerts/alert.ts';
import { alertHeadline, flowIdNote } from '../alert-facts.ts';
import { renderPlainText } from '../render-plain-text.ts';

export interface RenderedEmail {
  /** Safe to use as a header: one line, no control characters. */
  subject: string;
  text: string;
}

const SUBJECT_PREFIX = '[portable-watch]';
/** Long enough for any real flow name; mail clients cut far earlier anyway. */
const MAX_SUBJECT_CHARS = 200;

/** Subject and plain-text body. Plain text only: it reads the same in every client and cannot run anything. */
export function renderEmail(alert: Alert): RenderedEmail {
  const subject = headerValue(`${SUBJECT_PREFIX} ${alertHeadline(alert)}${flowIdNote(alert)}`);
  const footer = `--\nSent by portable-watch. Alert ${headerValue(alert.key)}.`;
  return {
    subject: subject.length <= MAX_SUBJECT_CHARS ? subject : `${subject.slice(0, MAX_SUBJECT_CHARS - 1)}…`,
    text: `${renderPlainText(alert)}\n${footer}\n`,
  };
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
