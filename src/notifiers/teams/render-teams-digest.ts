import { SEVERITIES } from '../../alerts/alert.ts';
import type { Digest } from '../../digests/digest-types.ts';
import { digestCounts, digestHeadline, digestIntro, digestLines, digestTrailer, type DigestLine } from '../digest-facts.ts';
import { formatCount } from '../format-text.ts';
import { escapeTeamsMarkdown, teamsLink } from './escape-teams-markdown.ts';
import { escapedLine, SEVERITY_COLORS, titleColor } from './render-teams-card.ts';
import {
  elementBytes,
  MAX_TEAMS_BODY_BYTES,
  messageBytes,
  teamsMessage,
  textBlock,
  type TeamsCardElement,
  type TeamsColor,
  type TeamsMessage,
  type TeamsTextBlock,
} from './teams-message.ts';

/** The headline, intro and trailer are ours and short; these only guard the size argument should that change. */
const MAX_HEADLINE_CHARS = 300;
const MAX_INTRO_CHARS = 500;
const MAX_TRAILER_CHARS = 500;
/** A link longer than this is left out rather than crowding out other alerts' lines. */
const MAX_LINK_CHARS = 500;

/**
 * One card for a storm's digest: the headline with the counts by kind, coloured by the worst alert, the intro saying
 * why this is one message, the counts as facts, then one line per alert, oldest first, as many as fit under `maxBytes`,
 * and a trailer that counts the rest and says where to see them, so every alert is named or counted.
 */
export function renderTeamsDigest(digest: Digest, maxBytes = MAX_TEAMS_BODY_BYTES): TeamsMessage {
  const lines = digestLines(digest);
  const head: TeamsCardElement[] = [
    textBlock(escapedLine(digestHeadline(digest), MAX_HEADLINE_CHARS), { size: 'Large', weight: 'Bolder', color: digestColor(digest) }),
    textBlock(escapedLine(digestIntro(digest), MAX_INTRO_CHARS)),
    {
      type: 'FactSet',
      facts: digestCounts(digest.alerts).map(({ label, count }) => ({ title: escapeTeamsMarkdown(label), value: formatCount(count) })),
    },
  ];
  // the trailer is measured at its longest (every line hidden), so the real one always fits the room kept for it
  let room = maxBytes - messageBytes(teamsMessage([...head, trailer(digest, lines.length)]));
  const shown: TeamsTextBlock[] = [];
  for (const line of lines) {
    const block = textBlock(teamsLine(line), { spacing: 'None' });
    const size = elementBytes(block);
    if (size > room) break;
    shown.push(block);
    room -= size;
  }
  return teamsMessage([...head, ...shown, trailer(digest, lines.length - shown.length)]);
}

/**
 * `**FAILED** [Events to Snowflake](https://…) (flow 689422) — SQL compilation error: …`. Name and detail are cut
 * before escaping (digest-facts), so a line is at most a few hundred characters plus the link.
 */
export function teamsLine(line: DigestLine): string {
  const name = escapeTeamsMarkdown(line.subject);
  const subject = line.link === undefined || line.link.length > MAX_LINK_CHARS ? name : teamsLink(line.link, name);
  // the note starts with a space, which escaping would keep as a no-break space at the start of a line
  const flowId = line.flowIdNote.trim() === '' ? '' : ` ${escapeTeamsMarkdown(line.flowIdNote.trim())}`;
  return `**${escapeTeamsMarkdown(line.title)}** ${subject}${flowId} — ${escapeTeamsMarkdown(line.detail)}`;
}

function trailer(digest: Digest, hidden: number): TeamsTextBlock {
  return textBlock(escapedLine(digestTrailer(digest, hidden), MAX_TRAILER_CHARS), { isSubtle: true, spacing: 'Medium' });
}

/** The worst problem's colour; green when the digest holds only recoveries. */
function digestColor(digest: Digest): TeamsColor {
  const colors = new Set(digest.alerts.map(titleColor));
  const byUrgency: TeamsColor[] = [...SEVERITIES.map((severity) => SEVERITY_COLORS[severity]), 'Good'];
  return byUrgency.find((color) => colors.has(color)) ?? 'Default';
}
