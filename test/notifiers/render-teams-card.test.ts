import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { oneLine } from '../../src/notifiers/format-text.ts';
import { escapeTeamsLines, escapeTeamsMarkdown, teamsLink } from '../../src/notifiers/teams/escape-teams-markdown.ts';
import { renderTeamsCard, titleColor } from '../../src/notifiers/teams/render-teams-card.ts';
import { MAX_TEAMS_BODY_BYTES, messageBytes, type AdaptiveCard, type TeamsCardElement, type TeamsMessage } from '../../src/notifiers/teams/teams-message.ts';
import {
  accountErrorAlert,
  accountRecoveredAlert,
  attempt,
  failedAlert,
  monitorErrorAlert,
  monitorRecoveredAlert,
  partialAlert,
  recoveredAlert,
  stalledAlert,
  stateLostAlert,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';
import { activeMarkup, shownText } from './read-teams-markdown.ts';
import { cardProblem } from './teams-receiver.ts';

const ZWSP = '\u200b';
const NBSP = '\u00a0';

function cardOf(message: TeamsMessage): AdaptiveCard {
  return message.attachments[0].content;
}

/** Every text a person reads: TextBlocks, facts' titles and values. */
function texts(card: AdaptiveCard): string[] {
  return card.body.flatMap((element: TeamsCardElement) =>
    element.type === 'TextBlock' ? [element.text] : element.facts.flatMap((fact) => [fact.title, fact.value]),
  );
}

function factsOf(card: AdaptiveCard): Record<string, string> {
  const set = card.body.find((element) => element.type === 'FactSet');
  return Object.fromEntries(set?.type === 'FactSet' ? set.facts.map((fact) => [fact.title, fact.value]) : []);
}

function expectValidUnderLimit(message: TeamsMessage, maxBytes = MAX_TEAMS_BODY_BYTES): void {
  expect(messageBytes(message)).toBeLessThanOrEqual(maxBytes);
  expect(cardProblem('application/json', JSON.stringify(message))).toBeUndefined();
}

describe('escaping Portable text for Teams Markdown', () => {
  it.each([
    ['plain text stays as it is', 'SQL compilation error: Table EVENTS does not exist', 'SQL compilation error: Table EVENTS does not exist'],
    ['bold', '**bold**', '\\*\\*bold\\*\\*'],
    ['a link', '[click](http://evil.example)', '\\[click\\](http://evil.example)'],
    ['a mention', '<at>x</at>', '\\<at\\>x\\</at\\>'],
    ['a date function', '{{DATE(2026-01-01T00:00:00Z)}}', `{${ZWSP}{DATE(2026-01-01T00:00:00Z)}}`],
    ['three braces', '{{{TIME(x)}}}', `{${ZWSP}{${ZWSP}{TIME(x)}}}`],
    ['italic and underscores in names', '_x_ EVENTS_WH', '\\_x\\_ EVENTS\\_WH'],
    ['code and strikethrough', '`rm` ~~old~~', '\\`rm\\` \\~\\~old\\~\\~'],
    ['a backslash', 'C:\\tmp\\*', 'C:\\\\tmp\\\\\\*'],
    ['a bullet', '- item', '\\- item'],
    ['a plus bullet', '+ item', '\\+ item'],
    ['a heading', '# Heading', '\\# Heading'],
    ['a quote', '> quoted', '\\> quoted'],
    ['a numbered item', '1. first', '1\\. first'],
    ['a numbered item with a parenthesis', '12) twelfth', '12\\) twelfth'],
    ['a thematic break', '---', '\\---'],
    ['an entity', '&lt;b&gt; & co &#60;', '\\&lt;b\\&gt; & co \\&#60;'],
    ['indentation', '    four spaces', `${NBSP.repeat(4)}four spaces`],
    ['line breaks, folded into one line', 'one\ntwo\r\n- three', 'one two - three'],
  ])('%s', (_name, raw, escaped) => {
    expect(escapeTeamsMarkdown(raw)).toBe(escaped);
  });

  it('shows every hostile text exactly as written and leaves nothing a client would act on', () => {
    const hostile = [
      '**bold** [click](http://evil.example) <at>x</at> {{DATE(2026-01-01T00:00:00Z)}}',
      '![img](http://evil.example/x.png) <img src=x onerror=alert(1)> &amp;',
      '1. one *two* __three__ `four` ~~five~~ \\*six\\*',
      '# not a heading',
      '    not code',
    ];
    for (const text of hostile) {
      const escaped = escapeTeamsMarkdown(text);
      expect(activeMarkup(escaped), text).toEqual([]);
      expect(shownText(escaped)).toBe(oneLine(text));
    }
  });

  it('keeps the lines of an error apart, each escaped, without its empty lines', () => {
    const error = 'Traceback:\n  File "x.py", line 1\n\n- raised *here*\r\n1. done';
    const escaped = escapeTeamsLines(error);
    expect(escaped).toBe(`Traceback:\n\n${NBSP}${NBSP}File "x.py", line 1\n\n\\- raised \\*here\\*\n\n1\\. done`);
    expect(activeMarkup(escaped)).toEqual([]);
  });

  it('makes a link whose URL parentheses cannot end it early', () => {
    expect(teamsLink('https://example.com/a_(b) c', 'x\\_y')).toBe('[x\\_y](https://example.com/a_%28b%29%20c)');
  });
});

describe('the Adaptive Card of an alert', () => {
  it('lays out a failed alert: coloured title, sentence, facts, rows, errors in monospace, a button to Portable', () => {
    const card = cardOf(renderTeamsCard(failedAlert()));
    expect(card).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.5', msteams: { width: 'Full' } });
    expect(card.body[0]).toEqual({ type: 'TextBlock', text: 'FAILED: Events to Snowflake', wrap: true, size: 'Large', weight: 'Bolder', color: 'Attention' });
    expect(card.body[1]).toMatchObject({ type: 'TextBlock', text: 'Attempt 632458 of Events to Snowflake failed.' });
    expect(factsOf(card)).toEqual({
      Flow: 'Events to Snowflake (689422)',
      Attempt: '632458',
      Trigger: 'scheduled',
      Started: '2026-11-29 07:47:48 UTC',
      Finished: '2026-11-29 08:52:48 UTC',
      'Ran for': '1h 5m',
      Detected: '2026-11-29 08:53:48 UTC',
    });
    expect(card.body.slice(3).map((element) => (element.type === 'TextBlock' ? [element.text, element.fontType ?? ''] : []))).toEqual([
      ['**Rows**', ''],
      ['• orders: 1,200 extracted · 1,190 loaded', ''],
      ['• customers: no row counts', ''],
      ['**Errors (2)**', ''],
      ['SQL compilation error: Table EVENTS does not exist', 'Monospace'],
      ['Load aborted after 1 error', 'Monospace'],
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open flow in Portable', url: 'https://app.portable.io/flows/689422' }]);
  });

  it.each<[string, Alert, string]>([
    ['a failure', failedAlert(), 'Attention'],
    ['a stall', stalledAlert(), 'Attention'],
    ['a partial load', partialAlert(), 'Warning'],
    ['a failure a route made a warning', failedAlert({ severity: 'warning' }), 'Warning'],
    ['a failure a route made info', failedAlert({ severity: 'info' }), 'Accent'],
    ['a monitor error', monitorErrorAlert(), 'Warning'],
    ['a recovery', recoveredAlert(), 'Good'],
    ['a recovery routed as critical', { ...recoveredAlert(), severity: 'critical' }, 'Good'],
    ['a monitor recovery', monitorRecoveredAlert(), 'Good'],
    ['a test alert', testAlert(), 'Default'],
  ])('colours the title of %s %s', (_name, alert, color) => {
    expect(titleColor(alert)).toBe(color);
    expect(cardOf(renderTeamsCard(alert)).body[0]).toMatchObject({ color });
  });

  it.each<[string, Alert]>([
    ['a test alert', testAlert()],
    ['an account-wide monitor error', accountErrorAlert()],
    ['an account-wide recovery', accountRecoveredAlert()],
    ['an installation-wide notice', stateLostAlert()],
  ])('names no flow, flow id or link for %s', (_name, alert) => {
    const card = cardOf(renderTeamsCard(alert));
    expect(factsOf(card)).not.toHaveProperty('Flow');
    // the details of an account alert quote the request that failed (/v2/flows/689422/run), which is not naming a flow
    expect(texts(card).join('\n')).not.toMatch(/Events to Snowflake|\(689422\)|\(flow /);
    expect(card.actions).toEqual([]);
  });

  it('shows a monitor error\'s own text as details, escaped', () => {
    const alert = { ...monitorErrorAlert(), monitor: { ...monitorErrorAlert().monitor!, message: 'GET /v2/flows/1 answered *404*' } };
    expect(texts(cardOf(renderTeamsCard(alert))).slice(-2)).toEqual(['**Details**', 'GET /v2/flows/1 answered \\*404\\*']);
  });

  it('shows the resources of a partial load with their errors, and of a volume drop', () => {
    expect(texts(cardOf(renderTeamsCard(partialAlert())))).toEqual(
      expect.arrayContaining(['**Resources not fully loaded (2 of 3)**', '• orders: 1,200 extracted · 900 loaded (25% missing)', 'Row 17: value too long for column NAME']),
    );
    expect(texts(cardOf(renderTeamsCard(volumeAlert())))).toContain('• orders: 0 rows (usually 1,200–1,900, median 1,500, over 30 runs)');
  });

  it('keeps 200 long errors under the limit and counts those it leaves out', () => {
    const errors = Array.from({ length: 200 }, (_, index) => `error #${String(index).padStart(3, '0')}: ${'x * <y> '.repeat(60)}`);
    const message = renderTeamsCard(failedAlert({ attempt: attempt({ errors }) }));
    expectValidUnderLimit(message);
    const all = texts(cardOf(message)).join('\n');
    const shown = new Set(all.match(/error #\d{3}/g));
    expect(shown.size).toBeGreaterThan(10);
    expect(all).toContain(`… and ${200 - shown.size} more errors, see the run in Portable`);
    expect(all).toContain('**Errors (200)**');
  });

  it('cuts one enormous error to a readable length instead of dropping it', () => {
    const message = renderTeamsCard(failedAlert({ attempt: attempt({ errors: [`start ${'z'.repeat(200_000)}`] }) }));
    expectValidUnderLimit(message);
    const error = texts(cardOf(message)).find((text) => text.startsWith('start'));
    expect(error).toMatch(/^start z+…$/);
    expect(error!.length).toBeLessThanOrEqual(3_000);
    expect(texts(cardOf(message)).join('\n')).not.toContain('more errors');
  });

  it('cuts the first error further when the room left is smaller than it, rather than only counting it', () => {
    const alert = failedAlert({ attempt: attempt({ errors: [`start ${'z'.repeat(10_000)}`, 'second'] }) });
    const message = renderTeamsCard(alert, 2_500);
    expectValidUnderLimit(message, 2_500);
    const all = texts(cardOf(message));
    const error = all.find((text) => text.startsWith('start'));
    expect(error).toMatch(/^start z{100,}…$/);
    expect(all).toContain('… and 1 more error, see the run in Portable');
  });

  it('keeps a partial load of 300 resources with many errors under the limit, counting what is left out', () => {
    const resources = Array.from({ length: 300 }, (_, index) => ({
      name: `table_${index}`,
      extracted: 100,
      loaded: 50,
      errors: Array.from({ length: 5 }, (__, error) => `Row ${error}: ${'bad value '.repeat(50)}`),
    }));
    const message = renderTeamsCard(partialAlert(resources));
    expectValidUnderLimit(message);
    const all = texts(cardOf(message)).join('\n');
    const shown = new Set(all.match(/• table\\_\d+/g));
    expect(shown.size).toBeGreaterThan(0);
    expect(all).toContain(`… and ${300 - shown.size} more resources, see the run in Portable`);
    expect(all).toContain('… and 2 more errors');
  });

  it('stays valid and under a small limit when every text is hostile and huge', () => {
    const worst = '\\{'.repeat(50_000);
    const alert = failedAlert({
      flow: { id: 1, name: worst, url: `https://app.portable.io/flows/1?q=${'a'.repeat(100)}` },
      attempt: attempt({ errors: [worst, worst], resources: [{ name: worst, extracted: 1, analyzed: null, loaded: 1 }] }),
      reminder: { number: 2, since: 0, failedAttempts: 3 },
      heldBy: { what: worst, heldAt: 0, releasedAt: 1 },
    });
    for (const maxBytes of [MAX_TEAMS_BODY_BYTES, 8_000]) {
      const message = renderTeamsCard(alert, maxBytes);
      expectValidUnderLimit(message, maxBytes);
      expect(cardOf(message).body[0]).toMatchObject({ type: 'TextBlock', color: 'Attention' });
      expect(cardOf(message).actions).toHaveLength(1);
    }
  });

  it('cuts a very long flow name in the title and says so', () => {
    const title = cardOf(renderTeamsCard(failedAlert({ flow: { id: 1, name: 'n'.repeat(5_000) } }))).body[0];
    expect(title?.type === 'TextBlock' ? title.text : '').toMatch(/^FAILED: n{241}…$/);
  });
});
