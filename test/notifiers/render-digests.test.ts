import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { renderDigestEmail } from '../../src/notifiers/email/render-email.ts';
import { renderPlainDigest } from '../../src/notifiers/render-plain-digest.ts';
import { MAX_DIGEST_MESSAGE_CHARS, packLines, renderSlackDigest } from '../../src/notifiers/slack/render-slack-digest.ts';
import { SLACK_LIMITS, type SlackMessage } from '../../src/notifiers/slack/render-slack-message.ts';
import { failedAlert } from './alert-fixtures.ts';
import { digestOf, storm, type StormOptions } from './digest-fixtures.ts';

/** Every text in the message a person could read, with where it sits. */
function texts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) => {
    if (block.type === 'header') return [block.text.text];
    if (block.type === 'context') return block.elements.map((element) => element.text);
    return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((field) => field.text)];
  });
}

/** The alert lines of a Slack digest, and the count its trailer gives of the rest. */
function namedAndCounted(message: SlackMessage): { named: string[]; counted: number; trailer: string } {
  const sections = message.blocks.slice(2).flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
  const last = message.blocks.at(-1);
  const trailer = last?.type === 'context' ? (last.elements[0]?.text ?? '') : '';
  const more = /^… and ([\d,]+) more: run portable-watch status$/.exec(trailer);
  return {
    named: sections.flatMap((text) => text.split('\n')),
    counted: more === null ? 0 : Number(more[1]?.replace(/,/g, '')),
    trailer,
  };
}

/** Slack's limits, and no mrkdwn control character from Portable left unescaped. */
function expectWithinSlackLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  const header = message.blocks[0];
  expect(header?.type).toBe('header');
  expect(header?.type === 'header' ? header.text.text.length : Infinity).toBeLessThanOrEqual(SLACK_LIMITS.headerChars);
  for (const text of texts(message).slice(1)) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionChars);
  expect(message.text.length).toBeLessThanOrEqual(1000);
  expect(texts(message).join('').length).toBeLessThanOrEqual(40_000);
  for (const text of [message.text, ...texts(message)]) {
    // what remains once our own links are taken out: no <, >, and & only as an entity
    const withoutLinks = text.replace(/<https?:\/\/[^|<>\s]+\|[^<>]*>/g, '');
    expect(withoutLinks).not.toMatch(/[<>]/);
    expect(withoutLinks.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
  }
}

const HOSTILE = '<!channel> Ops & Co <@U123> <http://evil|click> *bold* _it_ ~gone~ `code`';
const VARIANTS: Array<[string, StormOptions]> = [
  ['ordinary names and errors', {}],
  ['5,000-character names', { name: (index) => `${index} ${'N'.repeat(5000)}` }],
  ['10,000-character multi-line errors', { error: (index) => `${index} ${'E'.repeat(5000)}\n${'F'.repeat(5000)}` }],
  ['names and errors full of mrkdwn and <, >, &', { name: (index) => `${index} ${HOSTILE.repeat(20)}`, error: () => `&<>${HOSTILE.repeat(20)}` }],
  ['no links', { url: () => undefined }],
  ['2,000-character links', { url: (index) => `https://app.portable.io/flows/${index}?q=${'a&b'.repeat(700)}` }],
];

describe('renderSlackDigest', () => {
  describe.each(VARIANTS)('with %s', (_variant, options) => {
    it.each([1, 40, 300, 5000])('names or counts every one of %i alerts, oldest first, within Slack\'s limits', (count) => {
      const message = renderSlackDigest(digestOf(storm(count, options)));
      const { named, counted } = namedAndCounted(message);
      expect(named.length + counted).toBe(count);
      expect(named.length).toBeGreaterThan(0);
      named.forEach((line, index) => expect(line).toContain(`(flow ${100_000 + index})`));
      expectWithinSlackLimits(message);
    });
  });

  it('heads with the counts and fits 40 ordinary alerts without leaving any out', () => {
    const message = renderSlackDigest(digestOf(storm(40, { stalledEvery: 8 })));
    expect(message.text).toBe('40 alerts: 35 failed, 5 stalled');
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '40 alerts: 35 failed, 5 stalled' } });
    const { named, trailer } = namedAndCounted(message);
    expect(named[0]).toBe(
      '• *FAILED* <https://app.portable.io/flows/100000|Events 0 to Snowflake> (flow 100000) — SQL compilation error: warehouse EVENTS_WH is suspended',
    );
    expect(named[7]).toBe('• *STALLED* <https://app.portable.io/flows/100007|Events 7 to Snowflake> (flow 100007) — running for 3h 5m, limit 2h');
    expect(trailer).toBe('Each alert in full: run portable-watch status');
  });

  it('marks the header with the worst severity among the alerts', () => {
    const alerts: Alert[] = [{ ...failedAlert(), severity: 'warning' }, { ...failedAlert(), severity: 'critical' }];
    const header = renderSlackDigest(digestOf(alerts)).blocks[0];
    expect(header?.type === 'header' ? header.text.text : '').toBe('🔴 2 alerts: 2 failed');
  });

  it('mentions only whom the config names, however the flows are named', () => {
    const message = renderSlackDigest(digestOf(storm(30, { name: () => HOSTILE, error: () => HOSTILE })), { mention: '<!here>' });
    expect(message.text.startsWith('<!here> 30 alerts')).toBe(true);
    expect([message.text, ...texts(message)].join('\n').match(/<[!@][^>]*>/g)).toEqual(['<!here>', '<!here>']);
    expect(namedAndCounted(message).named[0]).toContain('|&lt;!channel&gt; Ops &amp; Co &lt;@U123&gt; &lt;http://evil|click&gt; *bold*');
  });

  it('keeps a message with 5,000 alerts under the overall budget', () => {
    const message = renderSlackDigest(digestOf(storm(5000)));
    expect(texts(message).join('').length).toBeLessThanOrEqual(MAX_DIGEST_MESSAGE_CHARS);
  });
});

describe('packLines', () => {
  it.each<[string, string[], number, number, string[], number]>([
    ['lines that share one section', ['a', 'b'], 5, 100, ['a\nb'], 2],
    ['a line that would overflow the section starts the next', ['x'.repeat(2000), 'y'.repeat(1500)], 5, 10_000, ['x'.repeat(2000), 'y'.repeat(1500)], 2],
    ['no more sections than allowed', ['x'.repeat(2000), 'y'.repeat(2000), 'z'], 2, 10_000, ['x'.repeat(2000), `${'y'.repeat(2000)}\nz`], 3],
    ['the section limit stops at the first line that does not fit', ['x'.repeat(2000), 'y'.repeat(2000), 'z'.repeat(2000)], 2, 10_000, ['x'.repeat(2000), 'y'.repeat(2000)], 2],
    ['the budget stops at the first line that does not fit', ['aaaa', 'bbbb', 'c'], 5, 10, ['aaaa\nbbbb'], 2],
    ['no lines', [], 5, 100, [], 0],
  ])('%s', (_name, lines, maxSections, budget, sections, shown) => {
    expect(packLines(lines, maxSections, budget)).toEqual({ sections, shown });
  });
});

describe('plain-text digests', () => {
  it.each([1, 40, 300, 5000])('email names up to 500 of %i alerts and counts the rest', (count) => {
    const { subject, text } = renderDigestEmail(digestOf(storm(count)));
    expect(subject).toBe(`[portable-watch] ${count.toLocaleString('en-US')} ${count === 1 ? 'alert' : 'alerts'}: ${count.toLocaleString('en-US')} failed`);
    const named = text.split('\n').filter((line) => line.startsWith('- FAILED: '));
    expect(named).toHaveLength(Math.min(count, 500));
    const more = /^… and ([\d,]+) more: run portable-watch status$/m.exec(text);
    expect(named.length + (more === null ? 0 : Number(more[1]?.replace(/,/g, '')))).toBe(count);
    if (more === null) expect(text).toContain('\nEach alert in full: run portable-watch status\n');
  });

  it('lays out counts, period, one line per alert with its link, and the trailer', () => {
    expect(renderPlainDigest(digestOf(storm(2, { stalledEvery: 2 })))).toBe(
      [
        '2 alerts: 1 failed, 1 stalled',
        'Alerts from 2026-11-29 08:47:48 UTC to 2026-11-29 08:48:48 UTC, gathered into one message rather than sent one by one; oldest first.',
        '',
        '- FAILED: Events 0 to Snowflake (flow 100000) — SQL compilation error: warehouse EVENTS_WH is suspended',
        '  https://app.portable.io/flows/100000',
        '- STALLED: Events 1 to Snowflake (flow 100001) — running for 3h 5m, limit 2h',
        '  https://app.portable.io/flows/100001',
        '',
        'Each alert in full: run portable-watch status',
        '',
      ].join('\n'),
    );
  });

  it('keeps a hostile name from adding a header to the digest email or a line to its body', () => {
    const { subject, text } = renderDigestEmail(digestOf(storm(3, { name: () => 'x\r\nBcc: a@evil.test\u001b[2J' })));
    expect(subject).toBe('[portable-watch] 3 alerts: 3 failed');
    expect(text).not.toMatch(/^Bcc:/m);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('- FAILED: x Bcc: a@evil.test[2J (flow 100000)');
  });

  it('prints every alert on the console, however many', () => {
    const text = renderPlainDigest(digestOf(storm(5000)));
    expect(text.split('\n').filter((line) => line.startsWith('- FAILED: '))).toHaveLength(5000);
    expect(text).not.toContain('more: run');
  });
});
