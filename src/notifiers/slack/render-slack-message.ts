import type { Alert, Severity } from '../../alerts/alert.ts';
import { alertFacts, alertHeadline, alertSentence, alertSummary, describeResource, flowLink, monitorDetails, type AlertFact } from '../alert-facts.ts';
import { cleanText, oneLine } from '../format-text.ts';
import { resourceFindings, type ResourceFinding } from '../resource-findings.ts';

export interface SlackText {
  type: 'mrkdwn';
  text: string;
  /**
   * Always true: Slack then takes the text as written, turning no bare URL, channel or user name in
   * Portable's text into a link or mention. Explicit `<!here>` and `<url|label>` markup, which only the
   * config's mention and our own link can contain (Portable's text is escaped), still work.
   */
  verbatim: true;
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

export interface SlackMessage {
  /** Plain fallback: what notifications, previews and screen readers show. */
  text: string;
  blocks: SlackBlock[];
}

export interface SlackRenderOptions {
  /** From config, e.g. `<!here>` or `<@U024BE7LH>`: the only text inserted unescaped. */
  mention?: string;
}

/** Slack rejects a message over these (400 invalid_blocks), which would lose the alert. */
export const SLACK_LIMITS = {
  blocks: 50,
  headerChars: 150,
  sectionChars: 3000,
  fieldChars: 2000,
  fieldsPerSection: 10,
} as const;

/** Errors (and resources) beyond this many sections are counted, not shown: the full list is one click away in Portable. */
const MAX_PACKED_SECTIONS = 4;
const MAX_RESOURCE_LINE_CHARS = 300;
export const MAX_FALLBACK_CHARS = 1000;
/** Before the header, so a channel can be scanned by colour; the word is in the fallback text and the facts. */
export const SEVERITY_MARKS: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
/**
 * A resource of a partial load shows this many of its errors, each cut to this length, so that one resource with
 * its errors always fits a section: 2 + 300 + 3 × (1 + 800) + a count of the rest stays well under 3,000.
 */
const MAX_RESOURCE_ERRORS = 3;
const MAX_RESOURCE_ERROR_CHARS = 800;
/** More items than four sections can hold (each is at least 7 characters): the rest is counted without being rendered. */
const MAX_PACKED_ITEMS = 2_000;

/**
 * Block Kit for one alert. Every piece of text that came from Portable is escaped, so a flow named
 * `<!channel>` or an error containing `<http://evil|click>` shows as typed and can neither ping anyone nor
 * hide a link, and every mrkdwn text is verbatim, so a bare URL or #channel in it is not turned into a link
 * either. Blocks stay within Slack's limits by construction: header, up to two fact sections, rows (or up to
 * four sections of the resources a partial load or volume drop is about, and a count), up to four error sections and
 * a count, details and link make at most 16 of the 50 allowed.
 */
export function renderSlackMessage(alert: Alert, options: SlackRenderOptions = {}): SlackMessage {
  const mention = options.mention ? `${options.mention} ` : '';
  // The headline stays what filters and people already match on; the severity is one of the facts.
  const headline = cutEscaped(escapeSlack(oneLine(alertHeadline(alert))), SLACK_LIMITS.headerChars);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: headline } },
    ...factSections(alertFacts(alert), `${mention}${escapeSlack(oneLine(alertSentence(alert)))}`),
    ...resourceSections(alert),
    ...errorSections(alert.attempt?.errors ?? []),
    ...detailSections(alert),
    ...linkContext(alert),
  ];
  return { text: `${mention}${cutEscaped(escapeSlack(oneLine(alertSummary(alert))), MAX_FALLBACK_CHARS)}`, blocks };
}

/** `&`, `<` and `>` are the only characters mrkdwn treats as control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts already-escaped text to `max` characters without splitting an entity (`&am…`) or a surrogate pair. */
export function cutEscaped(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text
    .slice(0, max - 1)
    .replace(/&[a-z]*$/, '')
    .replace(/[\ud800-\udbff]$/, '');
  return `${head}…`;
}

function factSections(facts: AlertFact[], sentence: string): SlackBlock[] {
  const sections: SlackBlock[] = [];
  for (let start = 0; start < facts.length; start += SLACK_LIMITS.fieldsPerSection) {
    const fields = facts.slice(start, start + SLACK_LIMITS.fieldsPerSection).map(field);
    const text = start === 0 ? { text: mrkdwn(cutEscaped(sentence, SLACK_LIMITS.sectionChars)) } : {};
    sections.push({ type: 'section', ...text, fields });
  }
  return sections;
}

function field({ label, value }: AlertFact): SlackText {
  const title = `*${label}*\n`;
  return mrkdwn(title + cutEscaped(escapeSlack(oneLine(value)), SLACK_LIMITS.fieldChars - title.length));
}

/** The resources a partial load or volume drop is about; for any other alert, every resource's row counts. */
function resourceSections(alert: Alert): SlackBlock[] {
  const findings = resourceFindings(alert);
  if (findings !== undefined) {
    const items = findings.items.slice(0, MAX_PACKED_ITEMS).map(findingItem);
    const more = (left: number) => `… and ${left} more resources, see the run in Portable`;
    return packedSections(`*${escapeSlack(findings.title)}*`, items, findings.items.length, more);
  }
  const resources = alert.attempt?.resources ?? [];
  if (resources.length === 0) return [];
  // room for "… and N more" must stay free, so lines are packed into a smaller budget
  const budget = SLACK_LIMITS.sectionChars - 40;
  let text = '*Rows*';
  let shown = 0;
  for (const resource of resources) {
    const line = `\n• ${cutEscaped(escapeSlack(oneLine(describeResource(resource))), MAX_RESOURCE_LINE_CHARS)}`;
    if (text.length + line.length > budget) break;
    text += line;
    shown += 1;
  }
  if (shown < resources.length) text += `\n… and ${resources.length - shown} more`;
  return [{ type: 'section', text: mrkdwn(text) }];
}

/** `• orders: …` and the resource's errors in code blocks, like an attempt's. */
function findingItem({ line, errors }: ResourceFinding): string {
  let item = `• ${cutEscaped(escapeSlack(oneLine(line)), MAX_RESOURCE_LINE_CHARS)}`;
  for (const error of errors.slice(0, MAX_RESOURCE_ERRORS)) item += `\n${codeBlock(error, MAX_RESOURCE_ERROR_CHARS)}`;
  if (errors.length > MAX_RESOURCE_ERRORS) item += `\n… and ${errors.length - MAX_RESOURCE_ERRORS} more errors`;
  return item;
}

function errorSections(errors: string[]): SlackBlock[] {
  const title = `*Errors (${errors.length})*`;
  // sized so that even the first error fits beside the title
  const blocks = errors.slice(0, MAX_PACKED_ITEMS).map((error) => codeBlock(error, SLACK_LIMITS.sectionChars - title.length - 1));
  return packedSections(title, blocks, errors.length, (left) => `… and ${left} more errors, see the run in Portable`);
}

/**
 * The title and as many items as fit in up to MAX_PACKED_SECTIONS sections of at most 3,000 characters, then a
 * count of the rest (of `total`, which may be more than the items rendered). Each item must fit beside the title, so
 * the first section is never empty.
 */
function packedSections(title: string, items: string[], total: number, more: (left: number) => string): SlackBlock[] {
  if (items.length === 0) return [];
  const texts: string[] = [];
  let current = title;
  let shown = 0;
  for (const item of items) {
    if (current.length + 1 + item.length <= SLACK_LIMITS.sectionChars) {
      current += `\n${item}`;
    } else {
      if (texts.length + 1 >= MAX_PACKED_SECTIONS) break;
      texts.push(current);
      current = item;
    }
    shown += 1;
  }
  texts.push(current);
  const blocks: SlackBlock[] = texts.map((text) => ({ type: 'section', text: mrkdwn(text) }));
  if (shown < total) blocks.push({ type: 'context', elements: [mrkdwn(more(total - shown))] });
  return blocks;
}

function detailSections(alert: Alert): SlackBlock[] {
  const text = monitorDetails(alert);
  if (text === undefined) return [];
  const title = '*Details*\n';
  const details = codeBlock(text, SLACK_LIMITS.sectionChars - title.length);
  return [{ type: 'section', text: mrkdwn(title + details) }];
}

function linkContext(alert: Alert): SlackBlock[] {
  const link = flowLink(alert);
  if (link === undefined) return [];
  return [{ type: 'context', elements: [mrkdwn(slackLink(link, 'Open in Portable'))] }];
}

/** `<url|label>` for a URL flowLink accepted; `label` must already be escaped. */
export function slackLink(link: string, label: string): string {
  // `|` would end the URL part of Slack's <url|label> syntax
  const url = escapeSlack(link.replace(/\|/g, '%7C'));
  return `<${url}|${label}>`;
}

/**
 * Text verbatim in a code block, at most `max` characters including the fences. A ``` inside the text would
 * close the block early, so a zero-width space is slipped into it.
 */
function codeBlock(text: string, max: number): string {
  const cleaned = cleanText(text).replace(/```/g, '``\u200b`');
  const body = cleaned.trim() === '' ? '(empty message)' : escapeSlack(cleaned);
  return `\`\`\`${cutEscaped(body, max - 6)}\`\`\``;
}

export function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text, verbatim: true };
}
