import { DEFAULT_SEVERITY, isProblem, routeKindOf, type Alert, type Severity } from '../../alerts/alert.ts';
import { alertFacts, alertHeadline, alertSentence, describeResource, flowLink, monitorDetails, type AlertFact } from '../alert-facts.ts';
import { oneLine } from '../format-text.ts';
import { resourceFindings, type ResourceFinding } from '../resource-findings.ts';
import { cutText, escapeTeamsMarkdown } from './escape-teams-markdown.ts';
import {
  elementBytes,
  fitElement,
  MAX_TEAMS_BODY_BYTES,
  messageBytes,
  monospaceBlock,
  teamsMessage,
  textBlock,
  type TeamsCardElement,
  type TeamsColor,
  type TeamsFactSet,
  type TeamsMessage,
  type TeamsOpenUrlAction,
  type TeamsTextBlock,
} from './teams-message.ts';

/** Characters of each text at full scale, before escaping; the card is rendered again at a smaller scale when its fixed part alone is too large. */
const FULL_LIMITS = { headline: 250, sentence: 1_500, fact: 600, details: 3_000, error: 3_000, resourceLine: 300, resourceError: 800 };
type Limits = typeof FULL_LIMITS;
/** The last scale leaves every fixed text a few dozen characters: that card fits whatever Portable sent. */
const SCALES = [1, 0.25, 0.05] as const;
/** A partial load's resource shows this many of its errors; the rest are counted. */
const MAX_RESOURCE_ERRORS = 3;
/** With errors to show too, resources may take this share of the room left after the fixed part. */
const RESOURCE_SHARE = 0.4;
/** More items than could ever fit (each adds at least ~60 bytes): the rest is counted without being rendered. */
const MAX_PACKED_ITEMS = 500;
/** A configured flow URL longer than this is left out rather than crowding out the errors. */
const MAX_LINK_CHARS = 2_000;

export const SEVERITY_COLORS: Record<Severity, TeamsColor> = { critical: 'Attention', warning: 'Warning', info: 'Accent' };

/**
 * An Adaptive Card for one alert, with the facts of the Slack message: a title coloured by severity, the sentence, the
 * facts, the resources a partial load or volume drop is about (else every resource's rows), the errors in monospace
 * blocks, the monitor's details and a button to the flow in Portable. Every text from Portable is escaped for Teams
 * Markdown. The body stays under `maxBytes`: errors and resources are packed into the room the fixed part leaves, cut
 * or counted ("… and 3 more errors, see the run in Portable").
 */
export function renderTeamsCard(alert: Alert, maxBytes = MAX_TEAMS_BODY_BYTES): TeamsMessage {
  let message = buildCard(alert, maxBytes, SCALES[0]);
  for (const scale of SCALES.slice(1)) {
    if (messageBytes(message) <= maxBytes) break;
    message = buildCard(alert, maxBytes, scale);
  }
  return message;
}

/** Red for a critical problem, orange for a warning, blue for info, green for a recovery; a routed severity wins over the kind's default. */
export function titleColor(alert: Pick<Alert, 'kind' | 'severity' | 'resolves'>): TeamsColor {
  if (alert.kind === 'recovered' || alert.kind === 'monitor-recovered') return 'Good';
  const kind = routeKindOf(alert);
  if (!isProblem(alert) || kind === undefined) return 'Default';
  return SEVERITY_COLORS[alert.severity ?? DEFAULT_SEVERITY[kind]];
}

/** One line of Portable text, cut to `max` characters and escaped. */
export function escapedLine(text: string, max: number): string {
  return escapeTeamsMarkdown(cutText(oneLine(text), max));
}

function buildCard(alert: Alert, maxBytes: number, scale: number): TeamsMessage {
  const limits = scaledLimits(scale);
  const head: TeamsCardElement[] = [
    textBlock(escapedLine(alertHeadline(alert), limits.headline), { size: 'Large', weight: 'Bolder', color: titleColor(alert) }),
    textBlock(escapedLine(alertSentence(alert), limits.sentence)),
    factSet(alertFacts(alert), limits.fact),
  ];
  const tail = detailBlocks(alert, limits);
  const actions = linkActions(alert);
  let room = maxBytes - messageBytes(teamsMessage([...head, ...tail], actions));
  const errors = alert.attempt?.errors ?? [];
  const resources = resourceBlocks(alert, limits, errors.length > 0 ? Math.floor(room * RESOURCE_SHARE) : room);
  room -= totalBytes(resources);
  return teamsMessage([...head, ...resources, ...errorBlocks(errors, limits, room), ...tail], actions);
}

function scaledLimits(scale: number): Limits {
  const entries = Object.entries(FULL_LIMITS).map(([key, value]) => [key, Math.max(20, Math.floor(value * scale))]);
  return Object.fromEntries(entries) as Limits;
}

function factSet(facts: AlertFact[], max: number): TeamsFactSet {
  return { type: 'FactSet', facts: facts.map(({ label, value }) => ({ title: escapeTeamsMarkdown(label), value: escapedLine(value, max) })) };
}

function heading(text: string): TeamsTextBlock {
  return textBlock(`**${escapeTeamsMarkdown(text)}**`, { spacing: 'Medium' });
}

function note(text: string): TeamsTextBlock {
  return textBlock(escapeTeamsMarkdown(text), { isSubtle: true, spacing: 'Small' });
}

function errorBlocks(errors: readonly string[], limits: Limits, budget: number): TeamsCardElement[] {
  return packSection(heading(`Errors (${errors.length})`), errors, errors.length, budget, {
    blocks: (error) => [monospaceBlock(cutText(error, limits.error))],
    // an error longer than the room left is shown cut rather than counted, so a single huge error is still seen
    fit: (error, room) => fitElement(cutText(error, limits.error), monospaceBlock, room),
    more: (left) => `… and ${left} more ${plural(left, 'error')}, see the run in Portable`,
  });
}

/** The resources a partial load or volume drop is about; for any other alert, every resource's row counts. */
function resourceBlocks(alert: Alert, limits: Limits, budget: number): TeamsCardElement[] {
  const findings = resourceFindings(alert);
  if (findings !== undefined) {
    return packSection(heading(findings.title), findings.items, findings.items.length, budget, {
      blocks: (finding) => findingBlocks(finding, limits),
      more: (left) => `… and ${left} more ${plural(left, 'resource')}, see the run in Portable`,
    });
  }
  const resources = alert.attempt?.resources ?? [];
  return packSection(heading('Rows'), resources, resources.length, budget, {
    blocks: (resource) => [textBlock(`• ${escapedLine(describeResource(resource), limits.resourceLine)}`, { spacing: 'None' })],
    more: (left) => `… and ${left} more ${plural(left, 'resource')}, see the run in Portable`,
  });
}

/** `• orders: 1,200 extracted · 900 loaded (25% missing)` and the resource's own errors, like an attempt's. */
function findingBlocks({ line, errors }: ResourceFinding, limits: Limits): TeamsCardElement[] {
  const blocks: TeamsCardElement[] = [textBlock(`• ${escapedLine(line, limits.resourceLine)}`, { spacing: 'Small' })];
  for (const error of errors.slice(0, MAX_RESOURCE_ERRORS)) blocks.push(monospaceBlock(cutText(error, limits.resourceError)));
  const left = errors.length - MAX_RESOURCE_ERRORS;
  if (left > 0) blocks.push(note(`… and ${left} more ${plural(left, 'error')}`));
  return blocks;
}

interface SectionLayout<T> {
  blocks: (item: T) => TeamsCardElement[];
  /** The item cut to add at most `room` bytes, for the first item that does not fit whole; none: it is counted. */
  fit?: (item: T, room: number) => TeamsCardElement | undefined;
  more: (left: number) => string;
}

/**
 * The heading and, in order, as many items as `budget` bytes hold, then a count of the rest (of `total`). Room for
 * the count is kept from the start; the heading and the count are there even when nothing else fits, so what was cut
 * is always said.
 */
function packSection<T>(title: TeamsTextBlock, items: readonly T[], total: number, budget: number, layout: SectionLayout<T>): TeamsCardElement[] {
  if (total === 0) return [];
  const blocks: TeamsCardElement[] = [title];
  let room = budget - elementBytes(title) - elementBytes(note(layout.more(total)));
  let shown = 0;
  for (const item of items.slice(0, MAX_PACKED_ITEMS)) {
    const itemBlocks = layout.blocks(item);
    const size = totalBytes(itemBlocks);
    if (size <= room) {
      blocks.push(...itemBlocks);
      room -= size;
      shown += 1;
      continue;
    }
    const fitted = layout.fit?.(item, room);
    if (fitted !== undefined) {
      blocks.push(fitted);
      shown += 1;
    }
    break;
  }
  if (shown < total) blocks.push(note(layout.more(total - shown)));
  return blocks;
}

function detailBlocks(alert: Alert, limits: Limits): TeamsCardElement[] {
  const details = monitorDetails(alert);
  if (details === undefined) return [];
  return [heading('Details'), monospaceBlock(cutText(details, limits.details))];
}

function linkActions(alert: Alert): TeamsOpenUrlAction[] {
  const link = flowLink(alert);
  if (link === undefined || link.length > MAX_LINK_CHARS) return [];
  return [{ type: 'Action.OpenUrl', title: 'Open flow in Portable', url: link }];
}

function totalBytes(elements: readonly TeamsCardElement[]): number {
  return elements.reduce((sum, element) => sum + elementBytes(element), 0);
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}
