import { SEVERITIES } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { shownSeverity } from '../incident-facts.ts';
import { digestHeadline, digestIntro, digestLines, digestTrailer, type DigestLine } from '../digest-facts.ts';
import {
  cutEscaped,
  escapeSlack,
  MAX_FALLBACK_CHARS,
  mrkdwn,
  SEVERITY_MARKS,
  SLACK_LIMITS,
  slackLink,
  type SlackBlock,
  type SlackMessage,
  type SlackRenderOptions,
} from './render-slack-message.ts';

/**
 * Slack truncates a message beyond 40,000 characters and refuses some long block lists without saying where the limit
 * lies (`msg_blocks_too_long`): the text of all blocks together stays below this, which also keeps a storm's message
 * short enough to scroll past.
 */
export const MAX_DIGEST_MESSAGE_CHARS = 36_000;
/** Header, the intro section and the trailer; everything else is sections of alert lines. */
const FIXED_BLOCKS = 3;
/** Room kept for the trailer's "… and 5,000 more: <seeAll>" when the budget is counted. */
const TRAILER_RESERVE = 500;
/** A link longer than this (escaped) is left out rather than crowding out other alerts' lines. */
const MAX_LINK_CHARS = 500;

/**
 * Block Kit for a storm's digest: a header with the counts by kind, a section saying why this is one message, then one
 * line per alert, packed into as many sections of at most 3,000 characters as Slack's 50 blocks and the message budget
 * allow, and a trailer that counts what did not fit and says where to see it. Every text from Portable is escaped as
 * in renderSlackMessage and every mrkdwn text is verbatim, so a flow named `<!channel>` pings no one.
 */
export function renderSlackDigest(digest: Digest, options: SlackRenderOptions = {}): SlackMessage {
  const mention = options.mention ? `${options.mention} ` : '';
  const headline = escapeSlack(digestHeadline(digest));
  // the worst severity among the alerts marks the header, as it would each alert's
  const worst = SEVERITIES.find((severity) => digest.alerts.some((alert) => shownSeverity(alert) === severity));
  const header = `${worst === undefined ? '' : `${SEVERITY_MARKS[worst]} `}${headline}`;
  const intro = `${mention}${escapeSlack(digestIntro(digest))}`;
  const lines = digestLines(digest);
  const budget = MAX_DIGEST_MESSAGE_CHARS - TRAILER_RESERVE - headline.length - intro.length;
  const { sections, shown } = packLines(lines.map(slackLine), SLACK_LIMITS.blocks - FIXED_BLOCKS, budget);
  const trailer = cutEscaped(escapeSlack(digestTrailer(digest, lines.length - shown)), SLACK_LIMITS.sectionChars);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cutEscaped(header, SLACK_LIMITS.headerChars) } },
    { type: 'section', text: mrkdwn(cutEscaped(intro, SLACK_LIMITS.sectionChars)) },
    ...sections.map((text): SlackBlock => ({ type: 'section', text: mrkdwn(text) })),
    { type: 'context', elements: [mrkdwn(trailer)] },
  ];
  return { text: `${mention}${cutEscaped(headline, MAX_FALLBACK_CHARS)}`, blocks };
}

/**
 * `• *FAILED* <url|Events to Snowflake> (flow 689422) — SQL compilation error: …`. Name and detail are cut before
 * escaping (digest-facts), so a line is at most a few hundred characters plus the link, and always fits a section.
 */
export function slackLine(line: DigestLine): string {
  const name = escapeSlack(line.subject);
  const linked = line.link === undefined ? name : slackLink(line.link, name);
  const subject = linked.length - name.length > MAX_LINK_CHARS ? name : linked;
  return `• *${escapeSlack(line.title)}* ${subject}${escapeSlack(line.flowIdNote)} — ${escapeSlack(line.detail)}`;
}

/**
 * Lines in order into at most `maxSections` sections of at most 3,000 characters, and at most `budget` characters in
 * all; stops at the first line that does not fit, so what is shown is always the oldest alerts.
 */
export function packLines(lines: readonly string[], maxSections: number, budget: number): { sections: string[]; shown: number } {
  const sections: string[] = [];
  let current = '';
  let used = 0;
  let shown = 0;
  for (const rawLine of lines) {
    // slackLine keeps well under a section; this only guards the limit should that change
    const line = cutEscaped(rawLine, SLACK_LIMITS.sectionChars);
    if (used + line.length + 1 > budget) break;
    if (current === '') {
      current = line;
    } else if (current.length + 1 + line.length <= SLACK_LIMITS.sectionChars) {
      current += `\n${line}`;
    } else {
      if (sections.length + 1 >= maxSections) break;
      sections.push(current);
      current = line;
    }
    used += line.length + 1;
    shown += 1;
  }
  if (current !== '') sections.push(current);
  return { sections, shown };
}
