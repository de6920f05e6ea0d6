import type { Digest } from '../digests/digest-types.ts';
import { digestHeadline, digestIntro, digestLines, digestTrailer, type DigestLine } from './digest-facts.ts';
import { oneLine } from './format-text.ts';

export interface PlainDigestOptions {
  /** Alerts named one by one; the rest are counted. Unlimited when not given (the console shows every one). */
  maxLines?: number;
}

const INDENT = '  ';

/**
 * A storm's digest as plain text for a person: the counts, why this is one message, one line per alert (its link
 * under it) and where to see each alert in full. Shared by the email body and the console; every piece of text is on
 * one line and cleaned of control characters, as in renderPlainText.
 */
export function renderPlainDigest(digest: Digest, options: PlainDigestOptions = {}): string {
  const lines = digestLines(digest);
  const shown = lines.slice(0, Math.max(0, options.maxLines ?? lines.length));
  const sections = [
    [oneLine(digestHeadline(digest)), oneLine(digestIntro(digest))],
    shown.flatMap(plainLine),
    [oneLine(digestTrailer(digest, lines.length - shown.length))],
  ].filter((section) => section.length > 0);
  return `${sections.map((section) => section.join('\n')).join('\n\n')}\n`;
}

/** `- FAILED: Events to Snowflake (flow 689422) — SQL compilation error: …`, and the link on the next line. */
export function plainLine(line: DigestLine): string[] {
  const first = `- ${line.title}: ${line.subject}${line.flowIdNote} — ${line.detail}`;
  return line.link === undefined ? [first] : [first, `${INDENT}${line.link}`];
}
