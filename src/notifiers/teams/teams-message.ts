import { cutText, escapeTeamsLines } from './escape-teams-markdown.ts';

/*
 * The message a Teams Workflows webhook takes ("Post to a channel when a webhook request is received"): one Adaptive
 * Card as the only attachment of a `message`. Only the few card elements the notifier uses are typed here.
 */

/**
 * Teams refuses a message over about 28 KB (413 RequestEntityTooLarge), which would lose the alert. The JSON body we
 * send stays below this many UTF-8 bytes, leaving room for what the workflow adds around the card when it posts it.
 */
export const MAX_TEAMS_BODY_BYTES = 26_000;

/** Adaptive Card colours: Attention is red, Warning orange, Good green, Accent blue in Teams' themes. */
export type TeamsColor = 'Default' | 'Attention' | 'Warning' | 'Good' | 'Accent';

export interface TeamsTextBlock {
  type: 'TextBlock';
  /** Teams Markdown: everything from Portable in it is escaped (escape-teams-markdown.ts). */
  text: string;
  wrap: true;
  size?: 'Large' | 'Medium';
  weight?: 'Bolder';
  color?: TeamsColor;
  fontType?: 'Monospace';
  isSubtle?: true;
  spacing?: 'None' | 'Small' | 'Medium';
}

export interface TeamsFactSet {
  type: 'FactSet';
  facts: Array<{ title: string; value: string }>;
}

export type TeamsCardElement = TeamsTextBlock | TeamsFactSet;

export interface TeamsOpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.5';
  body: TeamsCardElement[];
  actions: TeamsOpenUrlAction[];
  /** Full width: facts and errors are long, and the default card is narrow. */
  msteams: { width: 'Full' };
}

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }];
}

export function teamsMessage(body: TeamsCardElement[], actions: TeamsOpenUrlAction[] = []): TeamsMessage {
  const content: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
    body,
    actions,
    msteams: { width: 'Full' },
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

/** What Teams measures: the UTF-8 length of the JSON body as sent. */
export function messageBytes(message: TeamsMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}

/** What one more element adds to the body: its JSON and the comma before it. */
export function elementBytes(element: TeamsCardElement): number {
  return Buffer.byteLength(JSON.stringify(element), 'utf8') + 1;
}

export function textBlock(text: string, options: Omit<TeamsTextBlock, 'type' | 'text' | 'wrap'> = {}): TeamsTextBlock {
  return { type: 'TextBlock', text, wrap: true, ...options };
}

/** Adaptive Cards have no code block: a monospace TextBlock, its lines escaped like any other text. */
export function monospaceBlock(rawText: string): TeamsTextBlock {
  const text = escapeTeamsLines(rawText);
  return textBlock(text === '' ? '(empty message)' : text, { fontType: 'Monospace', spacing: 'Small' });
}

/** Shorter than this, a cut error says too little to be worth its place: it is counted instead. */
const MIN_FITTED_CHARS = 80;

/**
 * The element `build` makes of `rawText`, cut (before escaping) as little as needed for it to add at most `budget`
 * bytes; undefined when even MIN_FITTED_CHARS of it would not fit. Escaping and UTF-8 make bytes per character vary
 * from 1 to about 6, so the cut is found by bisection on the measured size.
 */
export function fitElement(rawText: string, build: (text: string) => TeamsCardElement, budget: number): TeamsCardElement | undefined {
  const whole = build(rawText);
  if (elementBytes(whole) <= budget) return whole;
  let low = Math.min(MIN_FITTED_CHARS, rawText.length);
  if (elementBytes(build(cutText(rawText, low))) > budget) return undefined;
  let high = rawText.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (elementBytes(build(cutText(rawText, middle))) <= budget) low = middle;
    else high = middle - 1;
  }
  return build(cutText(rawText, low));
}
