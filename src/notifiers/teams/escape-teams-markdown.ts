import { cleanText, oneLine } from '../format-text.ts';

/*
 * Teams reads every TextBlock, fact and even a monospace block as a subset of Markdown, and before that looks for
 * `{{DATE(…)}}` and `{{TIME(…)}}` functions, which it replaces with a localised date. Text from Portable is
 * untrusted, so each character that could format, link or be replaced is neutralised here, once: a backslash
 * before Markdown's punctuation (CommonMark shows `\*` as `*`), and a zero-width space between two braces, which
 * the date functions do not allow (they must be written exactly, without anything between `{{` and the name).
 */

/** Emphasis, code, strikethrough, links, autolinks and inline HTML (`<at>` mentions): escaped anywhere. */
const INLINE_MARKUP = /[\\`*_~[\]<>]/g;
/** `&amp;` and `&#60;` would be decoded: only an `&` that starts such an entity needs its backslash. */
const ENTITY_START = /&(?=#?[A-Za-z0-9]{1,32};)/g;
/** Headings, block quotes, list items, thematic breaks and setext underlines start a line. */
const BLOCK_MARKER = /^[#>+\-=]/;
/** A numbered list item: `1.` or `1)` at the start of a line. */
const NUMBERED_ITEM = /^(\d{1,9})([.)])/;
const LEADING_SPACE = /^[ \t]+/;
const ZERO_WIDTH_SPACE = '\u200b';
const NO_BREAK_SPACE = '\u00a0';

/** One line of Portable text (a name, a fact, an error's message) as Teams Markdown that shows it as written. */
export function escapeTeamsMarkdown(text: string): string {
  return escapeLine(oneLine(text));
}

/**
 * Several lines (an error with its stack trace) as Teams Markdown: each line escaped, and separated by a blank line,
 * because Markdown joins lines that a single line break separates. Leading spaces become no-break spaces, so an
 * indented line keeps its indent and does not become a code block; empty lines are dropped.
 */
export function escapeTeamsLines(text: string): string {
  return cleanText(text)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(escapeLine)
    .join('\n\n');
}

/** `[label](url)` for an http(s) URL; `label` must already be escaped. Parentheses would end the URL early. */
export function teamsLink(url: string, label: string): string {
  const destination = url.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20');
  return `[${label}](${destination})`;
}

function escapeLine(line: string): string {
  const indent = LEADING_SPACE.exec(line)?.[0] ?? '';
  let rest = line
    .slice(indent.length)
    .replace(INLINE_MARKUP, '\\$&')
    .replace(ENTITY_START, '\\&')
    .replace(/\{(?=\{)/g, `{${ZERO_WIDTH_SPACE}`);
  if (BLOCK_MARKER.test(rest)) rest = `\\${rest}`;
  else rest = rest.replace(NUMBERED_ITEM, '$1\\$2');
  return `${indent.replace(/\t/g, '    ').replace(/ /g, NO_BREAK_SPACE)}${rest}`;
}

/**
 * Raw text cut to at most `max` characters, with `…` when it was cut: cut before escaping, so no escape is split, and
 * never between the halves of a surrogate pair.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…';
  return `${text.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}
