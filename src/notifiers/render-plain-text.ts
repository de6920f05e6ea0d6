import type { Alert } from '../alerts/alert.ts';
import { alertFacts, alertSentence, alertSummary, describeResource, flowLink, monitorDetails } from './alert-facts.ts';
import { cleanText, oneLine } from './format-text.ts';
import { resourceFindings } from './resource-findings.ts';

/** Beyond this a message stops being read; the rest is one click away in Portable. */
const MAX_ERRORS = 50;
const MAX_ERROR_CHARS = 10_000;
/** A partial load or volume drop names up to this many resources, each with up to so many of its errors. */
const MAX_FINDINGS = 50;
const MAX_RESOURCE_ERRORS = 5;
const MAX_RESOURCE_ERROR_CHARS = 2_000;
const INDENT = '  ';

/**
 * The alert as plain text for a person: summary line, sentence, facts, rows, errors, link. Shared by the
 * email body and the console. Text from Portable is cleaned of control characters (a terminal would obey an
 * escape sequence hidden in an error message) but otherwise kept verbatim.
 */
export function renderPlainText(alert: Alert): string {
  const sections = [
    [oneLine(alertSummary(alert)), oneLine(alertSentence(alert))],
    factLines(alert),
    resourceLines(alert),
    errorLines(alert),
    detailLines(alert),
    linkLines(alert),
  ].filter((lines) => lines.length > 0);
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function factLines(alert: Alert): string[] {
  const facts = alertFacts(alert);
  const width = Math.max(...facts.map((fact) => fact.label.length)) + 1;
  return facts.map((fact) => `${INDENT}${`${fact.label}:`.padEnd(width)} ${oneLine(fact.value)}`);
}

/** The resources a partial load or volume drop is about; for any other alert, every resource's row counts. */
function resourceLines(alert: Alert): string[] {
  const findings = resourceFindings(alert);
  if (findings !== undefined) {
    const lines = [`${findings.title}:`];
    for (const { line, errors } of findings.items.slice(0, MAX_FINDINGS)) {
      lines.push(`${INDENT}${oneLine(line)}`);
      for (const error of errors.slice(0, MAX_RESOURCE_ERRORS)) {
        lines.push(indentBlock(cut(cleanText(error), MAX_RESOURCE_ERROR_CHARS), `${INDENT}${INDENT}- `));
      }
      if (errors.length > MAX_RESOURCE_ERRORS) lines.push(`${INDENT}${INDENT}… and ${errors.length - MAX_RESOURCE_ERRORS} more errors`);
    }
    if (findings.items.length > MAX_FINDINGS) lines.push(`${INDENT}… and ${findings.items.length - MAX_FINDINGS} more`);
    return lines;
  }
  const resources = alert.attempt?.resources ?? [];
  if (resources.length === 0) return [];
  return ['Rows:', ...resources.map((resource) => `${INDENT}${oneLine(describeResource(resource))}`)];
}

function errorLines(alert: Alert): string[] {
  const errors = alert.attempt?.errors ?? [];
  if (errors.length === 0) return [];
  const lines = [`Errors (${errors.length}):`];
  for (const error of errors.slice(0, MAX_ERRORS)) {
    lines.push(indentBlock(cut(cleanText(error), MAX_ERROR_CHARS), `${INDENT}- `));
  }
  if (errors.length > MAX_ERRORS) lines.push(`${INDENT}… and ${errors.length - MAX_ERRORS} more`);
  return lines;
}

function detailLines(alert: Alert): string[] {
  const details = monitorDetails(alert);
  if (details === undefined) return [];
  return ['Details:', indentBlock(cut(cleanText(details), MAX_ERROR_CHARS), INDENT)];
}

function linkLines(alert: Alert): string[] {
  const link = flowLink(alert);
  return link === undefined ? [] : [`Open in Portable: ${link}`];
}

/** First line after `firstPrefix`, the following ones aligned under it, so a multi-line error stays one item. */
function indentBlock(text: string, firstPrefix: string): string {
  const continuation = ' '.repeat(firstPrefix.length);
  return text
    .split('\n')
    .map((line, index) => `${index === 0 ? firstPrefix : continuation}${line}`)
    .join('\n');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
