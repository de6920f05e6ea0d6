import { describe, expect, it } from 'vitest';
import { formatCount, formatShare } from '../../src/notifiers/format-text.ts';
import { renderPlainText } from '../../src/notifiers/render-plain-text.ts';
import { renderSlackMessage, type SlackBlock } from '../../src/notifiers/slack/render-slack-message.ts';
import { attempt, missedAlert, partialAlert, volumeAlert } from './alert-fixtures.ts';

/** Edges the renderers' limits and guards turn on: exactly at a cap, an empty list, a count that is not a number. */

function slackText(blocks: SlackBlock[]): string {
  return blocks.map((block) => (block.type === 'section' && block.text ? block.text.text : '')).join('\n');
}

describe('format-text edges', () => {
  it('names a count that is not a number as unknown', () => {
    expect(formatCount(Number.NaN)).toBe('unknown');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('unknown');
  });

  it('gives 0% for no part, and for a part of an empty whole', () => {
    expect(formatShare(0, 100)).toBe('0%');
    expect(formatShare(-3, 100)).toBe('0%');
    expect(formatShare(5, 0)).toBe('0%');
    expect(formatShare(5, -1)).toBe('0%');
  });
});

describe('missed runs', () => {
  it('says the count of one missed run when detection stopped counting', () => {
    expect(renderPlainText(missedAlert({ slots: 1, slotsCapped: true }))).toContain('(1+ expected runs missed)');
  });
});

describe('resource findings', () => {
  it('a partial load without resources names none, and without attempt errors does not say it had errors', () => {
    const alert = partialAlert([]);
    const text = renderPlainText({ ...alert, attempt: attempt({ state: 'succeeded', errors: [] }) });
    expect(text).not.toContain('Resources not fully loaded');
    expect(text).toContain('succeeded but loaded only part of the data.');
    expect(text).not.toContain('with errors');
  });

  it('a volume drop without resources names none', () => {
    const alert = volumeAlert([]);
    expect(renderPlainText(alert)).not.toContain('Resources far below');
    expect(slackText(renderSlackMessage(alert).blocks)).not.toContain('Resources far below');
  });

  it('shows exactly as many resource errors as allowed without an "… and 0 more" line', () => {
    const five = ['e1', 'e2', 'e3', 'e4', 'e5'];
    const text = renderPlainText(partialAlert([{ name: 'orders', extracted: 10, loaded: 5, errors: five }]));
    for (const error of five) expect(text).toContain(`- ${error}`);
    expect(text).not.toContain('more errors');
    const three = ['e1', 'e2', 'e3'];
    const slack = slackText(renderSlackMessage(partialAlert([{ name: 'orders', extracted: 10, loaded: 5, errors: three }])).blocks);
    expect(slack).toContain('e3');
    expect(slack).not.toContain('more errors');
  });

  it('lists exactly as many resources as allowed without an "… and 0 more" line', () => {
    const resources = Array.from({ length: 50 }, (_, index) => ({ name: `r${index}`, extracted: 10, loaded: 5, errors: [] }));
    const text = renderPlainText(partialAlert(resources));
    expect(text).toContain('r49: ');
    expect(text).not.toContain('… and 0 more');
  });
});
