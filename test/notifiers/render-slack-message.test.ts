import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { alertFacts } from '../../src/notifiers/alert-facts.ts';
import { cutEscaped, renderSlackMessage, SLACK_LIMITS, type SlackBlock } from '../../src/notifiers/slack/render-slack-message.ts';
import { attempt, failedAlert, HOUR, monitorErrorAlert, STARTED_AT, stalledAlert, testAlert } from './alert-fixtures.ts';

function sectionTexts(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
}

function blockTypes(alert: Alert): string[] {
  return renderSlackMessage(alert).blocks.map((block) => {
    if (block.type !== 'section') return block.type;
    return block.fields ? 'facts' : (block.text?.text.split('\n')[0] ?? '');
  });
}

function withErrors(errors: string[]): Alert {
  return failedAlert({ attempt: attempt({ errors, resources: [] }) });
}

describe('renderSlackMessage block layout', () => {
  it.each<[string, Alert, string[]]>([
    ['a stalled alert without rows, errors, details or link', { ...stalledAlert(), flow: { id: 689422, name: 'Events' } }, ['header', 'facts']],
    ['a test alert, which has no attempt and no flow to link to', testAlert(), ['header', 'facts']],
    ['a failed alert', failedAlert(), ['header', 'facts', '*Rows*', '*Errors (2)*', 'context']],
    ['a monitor error', monitorErrorAlert(), ['header', 'facts', '*Details*', 'context']],
  ])('sends only the blocks that have content for %s', (_name, alert, types) => {
    expect(blockTypes(alert)).toEqual(types);
  });

  it.each<[string, Alert, number[]]>([
    ['ten facts in one section', failedAlert({ monitor: monitorErrorAlert().monitor! }), [10]],
    [
      'twelve facts in two sections, the sentence only in the first',
      failedAlert({
        maxRuntimeMs: 2 * HOUR,
        resolves: { kind: 'failed', attemptId: 632400, since: STARTED_AT },
        monitor: monitorErrorAlert().monitor!,
      }),
      [10, 2],
    ],
  ])('keeps to Slack\'s ten fields per section: %s', (_name, alert, sizes) => {
    const sections = renderSlackMessage(alert).blocks.filter((block) => block.type === 'section' && block.fields);
    expect(sections.map((block) => (block.type === 'section' ? block.fields?.length : 0))).toEqual(sizes);
    expect(sections.map((block) => block.type === 'section' && block.text !== undefined)).toEqual(sizes.map((_, index) => index === 0));
    const labels = sections.flatMap((block) => (block.type === 'section' ? (block.fields ?? []) : [])).map((field) => field.text.split('\n')[0]);
    expect(labels).toEqual(alertFacts(alert).map((fact) => `*${fact.label}*`));
  });

  it('cuts a field to Slack\'s 2,000 characters, title included', () => {
    const { blocks } = renderSlackMessage(failedAlert({ flow: { id: 1, name: 'n'.repeat(5000) } }));
    const fields = blocks.flatMap((block) => (block.type === 'section' ? (block.fields ?? []) : []));
    const flow = fields.find((field) => field.text.startsWith('*Flow*'))!.text;
    expect(flow).toHaveLength(SLACK_LIMITS.fieldChars);
    expect(flow.endsWith('n…')).toBe(true);
  });
});

describe('renderSlackMessage rows', () => {
  it('fills the Rows section right up to its budget before counting the rest', () => {
    // "\n• <name>: 1 extracted" is the name plus 16 characters; 6 + 9 × 295 + 299 = 2,960, the budget exactly
    const resource = (nameLength: number, index: number) => ({
      name: `${String(index).padStart(2, '0')}${'r'.repeat(nameLength - 2)}`,
      extracted: 1,
      analyzed: null,
      loaded: null,
    });
    const resources = [...Array.from({ length: 9 }, (_, index) => resource(279, index)), resource(283, 9), resource(10, 10)];
    const rows = sectionTexts(renderSlackMessage(failedAlert({ attempt: attempt({ resources }) })).blocks).find((text) =>
      text.startsWith('*Rows*'),
    )!;
    expect(rows.split('\n').filter((line) => line.startsWith('• '))).toHaveLength(10);
    expect(rows.endsWith('\n… and 1 more')).toBe(true);
  });
});

describe('renderSlackMessage errors', () => {
  it.each([
    // '*Errors (2)*' + '\n```a```' + '\n```b```' is a + b + 26 characters
    [1500, 1474, ['*Errors (2)*\n```A```\n```B```']],
    [1500, 1475, ['*Errors (2)*\n```A```', '```B```']],
  ])('packs errors of %i and %i characters into sections of at most 3,000', (first, second, layout) => {
    const [a, b] = ['a'.repeat(first), 'b'.repeat(second)];
    const texts = sectionTexts(renderSlackMessage(withErrors([a, b])).blocks).filter((text) => !text.startsWith('Attempt'));
    expect(texts).toEqual(layout.map((text) => text.replace('A', a).replace('B', b)));
  });

  it('shows at most four error sections and counts the errors left out', () => {
    const errors = Array.from({ length: 10 }, (_, index) => `${index}${'e'.repeat(2000)}`);
    const { blocks } = renderSlackMessage(withErrors(errors));
    const errorTexts = sectionTexts(blocks).filter((text) => /^(\*Errors|```)/.test(text));
    expect(errorTexts).toHaveLength(4);
    expect(blocks.at(-2)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '… and 6 more errors, see the run in Portable', verbatim: true }],
    });
  });

  it('keeps a ``` in an error from closing the code block, and marks an empty error', () => {
    const texts = sectionTexts(renderSlackMessage(withErrors(['run ```rm -rf``` now', '  \n ', ''])).blocks);
    expect(texts).toContain('*Errors (3)*\n```run ``\u200b`rm -rf``\u200b` now```\n```(empty message)```\n```(empty message)```');
  });
});

describe('renderSlackMessage details and link', () => {
  it('shows a monitor error\'s own text as details', () => {
    expect(renderSlackMessage(monitorErrorAlert()).blocks).toContainEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*Details*\n```GET /v2/flows/689422 answered 404 Not Found```', verbatim: true },
    });
  });

  it('cuts long details to exactly one full section', () => {
    const alert = { ...monitorErrorAlert(), monitor: { ...monitorErrorAlert().monitor!, message: 'd'.repeat(5000) } };
    const details = sectionTexts(renderSlackMessage(alert).blocks).find((text) => text.startsWith('*Details*'))!;
    expect(details).toHaveLength(SLACK_LIMITS.sectionChars);
    expect(details.endsWith('d…```')).toBe(true);
  });

  it('encodes a | in the link so it cannot end the URL early', () => {
    const alert = failedAlert({ flow: { id: 7, name: 'x', url: 'https://app.portable.io/flows/7?q=a|b' } });
    expect(renderSlackMessage(alert).blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '<https://app.portable.io/flows/7?q=a%7Cb|Open in Portable>', verbatim: true }],
    });
  });
});

describe('cutEscaped', () => {
  it.each([
    ['abcde', 5, 'abcde'],
    ['abcdef', 5, 'abcd…'],
    ['a&amp;b', 4, 'a…'],
    ['\u{1F600}\u{1F600}\u{1F600}', 4, '\u{1F600}…'],
    ['\u{1F600}abcdef', 5, '\u{1F600}ab…'],
  ])('cuts %j to %i characters as %j', (text, max, expected) => {
    expect(cutEscaped(text, max)).toBe(expected);
  });
});
