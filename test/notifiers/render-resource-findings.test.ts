import { describe, expect, it } from 'vitest';
import type { Alert, PartialResource } from '../../src/alerts/alert.ts';
import { renderEmail } from '../../src/notifiers/email/render-email.ts';
import { renderPlainText } from '../../src/notifiers/render-plain-text.ts';
import { renderSlackMessage, SLACK_LIMITS, type SlackBlock, type SlackMessage } from '../../src/notifiers/slack/render-slack-message.ts';
import { attempt, partialAlert, volumeAlert, volumeDrop } from './alert-fixtures.ts';

/** The resources a partial load or a volume drop names, in every medium: their lines, errors, escaping and limits. */

function sectionTexts(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));
}

function blockTypes(alert: Alert): string[] {
  return renderSlackMessage(alert).blocks.map((block) => {
    if (block.type !== 'section') return block.type;
    return block.fields ? 'facts' : (block.text?.text.split('\n')[0] ?? '');
  });
}

/** Every text a person could read in a Slack message. */
function allTexts(message: SlackMessage): string[] {
  return [
    message.text,
    ...message.blocks.flatMap((block) => {
      if (block.type === 'header') return [block.text.text];
      if (block.type === 'context') return block.elements.map((element) => element.text);
      return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((field) => field.text)];
    }),
  ];
}

function resource(overrides: Partial<PartialResource> & { name: string }): PartialResource {
  return { extracted: 1200, loaded: 900, errors: [], ...overrides };
}

describe('a partial load', () => {
  it('reads in plain text (email and console) as the sentence, facts and each resource with its errors', () => {
    const alert = partialAlert();
    delete alert.flow.url;
    alert.attempt = { ...alert.attempt!, errors: ['2 tables were skipped'] };
    expect(renderPlainText(alert)).toBe(
      [
        'PARTIAL LOAD: Events to Snowflake (flow 689422) — attempt 632458',
        'Attempt 632458 of Events to Snowflake succeeded but loaded only part of the data.',
        '',
        '  Flow:     Events to Snowflake (689422)',
        '  Attempt:  632458',
        '  Trigger:  scheduled',
        '  Started:  2026-11-29 07:47:48 UTC',
        '  Finished: 2026-11-29 08:52:48 UTC',
        '  Ran for:  1h 5m',
        '  Detected: 2026-11-29 08:53:48 UTC',
        '',
        'Resources not fully loaded (2 of 3):',
        '  orders: 1,200 extracted · 900 loaded (25% missing)',
        '  customers: 500 extracted · 500 loaded',
        '    - Row 17: value too long for column NAME',
        '',
        'Errors (1):',
        '  - 2 tables were skipped',
        '',
      ].join('\n'),
    );
    expect(renderEmail(alert).text.startsWith(renderPlainText(alert))).toBe(true);
  });

  it('shows each resource in Slack, its errors in code blocks like an attempt\'s, and the attempt\'s own errors after', () => {
    const alert = partialAlert();
    alert.attempt = { ...alert.attempt!, errors: ['2 tables were skipped'] };
    expect(blockTypes(alert)).toEqual(['header', 'facts', '*Resources not fully loaded (2 of 3)*', '*Errors (1)*', 'context']);
    expect(sectionTexts(renderSlackMessage(alert).blocks)).toContain(
      '*Resources not fully loaded (2 of 3)*\n• orders: 1,200 extracted · 900 loaded (25% missing)\n• customers: 500 extracted · 500 loaded\n```Row 17: value too long for column NAME```',
    );
  });

  it.each<[string, PartialResource, string]>([
    ['a small shortfall', resource({ name: 'a', extracted: 100_000, loaded: 99_999 }), 'a: 100,000 extracted · 99,999 loaded (<1% missing)'],
    ['nearly everything missing', resource({ name: 'a', extracted: 100_000, loaded: 1 }), 'a: 100,000 extracted · 1 loaded (>99% missing)'],
    ['nothing loaded', resource({ name: 'a', extracted: 1_234_567, loaded: 0 }), 'a: 1,234,567 extracted · 0 loaded (100% missing)'],
    ['an unknown load', resource({ name: 'a', loaded: null }), 'a: 1,200 extracted · loaded unknown'],
    ['an unknown extract', resource({ name: 'a', extracted: null }), 'a: 900 loaded'],
    ['no counts at all', resource({ name: 'a', extracted: null, loaded: null }), 'a: no row counts'],
  ])('counts rows of %s', (_name, each, line) => {
    const alert = partialAlert([each]);
    expect(renderPlainText(alert)).toContain(`\n  ${line}\n`);
    // Slack shows `&lt;` as `<`
    expect(sectionTexts(renderSlackMessage(alert).blocks).join('\n')).toContain(`\n• ${line.replace('<', '&lt;').replace('>', '&gt;')}`);
  });

  it('titles the list without a total when the attempt lists no resources', () => {
    const alert = partialAlert();
    alert.attempt = { ...alert.attempt!, resources: [] };
    expect(renderPlainText(alert)).toContain('\nResources not fully loaded (2):\n');
  });

  it('lists at most 50 resources and 5 errors each in plain text, counting the rest', () => {
    const errors = Array.from({ length: 7 }, (_, index) => `error ${index}`);
    const resources = Array.from({ length: 60 }, (_, index) => resource({ name: `table_${index}`, errors }));
    const body = renderPlainText(partialAlert(resources));
    expect(body.match(/^ {2}table_\d+: /gm)).toHaveLength(50);
    expect(body.match(/^ {4}- error \d$/gm)).toHaveLength(50 * 5);
    expect(body.match(/^ {4}… and 2 more errors$/gm)).toHaveLength(50);
    expect(body).toContain('\n  table_49: 1,200 extracted · 900 loaded (25% missing)\n');
    expect(body).toMatch(/\n {2}… and 10 more\n/);
  });
});

describe('a volume drop', () => {
  it('reads in plain text as each resource against its usual range', () => {
    const alert = volumeAlert([volumeDrop(), volumeDrop({ name: 'refunds', loaded: 1, medianLoaded: 2_400_000, usualLow: 2_100_000, usualHigh: 2_100_000, samples: 12 })]);
    const body = renderPlainText(alert);
    expect(body).toContain(
      [
        'Resources far below their usual volume (2 of 2):',
        '  orders: 0 rows (usually 1,200–1,900, median 1,500, over 30 runs)',
        '  refunds: 1 row (usually 2,100,000, median 2,400,000, over 12 runs)',
      ].join('\n'),
    );
    // the list takes the place of every resource's counts
    expect(body).not.toContain('Rows:');
  });

  it('shows the same lines in Slack, in place of the rows', () => {
    expect(blockTypes(volumeAlert())).toEqual(['header', 'facts', '*Resources far below their usual volume (1 of 2)*', 'context']);
    expect(sectionTexts(renderSlackMessage(volumeAlert()).blocks)).toContain(
      '*Resources far below their usual volume (1 of 2)*\n• orders: 0 rows (usually 1,200–1,900, median 1,500, over 30 runs)',
    );
  });
});

describe('Portable text in the resources', () => {
  const hostile = '<script>alert(1)</script> *bold* & <!channel> <http://evil|click>';
  const escaped = '&lt;script&gt;alert(1)&lt;/script&gt; *bold* &amp; &lt;!channel&gt; &lt;http://evil|click&gt;';
  const hostileAlerts: Array<[string, Alert]> = [
    ['partial load', partialAlert([resource({ name: hostile, errors: [`${hostile}\n\`\`\`closing fence`] })])],
    ['volume drop', volumeAlert([volumeDrop({ name: hostile })])],
  ];

  it.each(hostileAlerts)('is escaped for Slack in a %s: it can neither ping, link nor close a code block', (_name, alert) => {
    const message = renderSlackMessage(alert, { mention: '<!here>' });
    const joined = allTexts(message).join('\n');
    expect(joined).toContain(`• ${escaped}: `);
    for (const text of allTexts(message)) {
      const withoutOurs = text.replace('<!here> ', '').replace('<https://app.portable.io/flows/689422|Open in Portable>', '');
      expect(withoutOurs).not.toMatch(/[<>]/);
      expect(withoutOurs).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    if (alert.kind === 'partial') expect(joined).toContain(`\`\`\`${escaped}\n\`\`\u200b\`closing fence\`\`\``);
  });

  it.each(hostileAlerts)('is kept as written in the plain text of a %s, which no client runs, on its own line', (_name, alert) => {
    for (const body of [renderPlainText(alert), renderEmail(alert).text]) {
      expect(body).toMatch(new RegExp(`^ {2}${hostile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `, 'm'));
    }
  });

  it('cannot break a line or reach the terminal with control characters', () => {
    const alert = volumeAlert([volumeDrop({ name: 'orders\n  fake: 0 rows\u001b[2J\u202e' })]);
    const body = renderPlainText(alert);
    expect(body).toContain('\n  orders   fake: 0 rows[2J: 0 rows (usually');
    for (const control of ['\u001b', '\u202e']) expect(body).not.toContain(control);
  });
});

describe('Slack limits with many resources', () => {
  it('keeps 200 resources with long names and errors within Slack limits, counting those left out', () => {
    const resources = Array.from({ length: 200 }, (_, index) =>
      resource({ name: `table_${String(index).padStart(3, '0')}_${'&<>'.repeat(120)}`, errors: Array.from({ length: 5 }, () => `${'x & <y> '.repeat(200)}`) }),
    );
    const alert = partialAlert(resources);
    alert.attempt = attempt({ state: 'succeeded', errors: Array.from({ length: 200 }, (_, index) => `attempt error ${index} ${'e'.repeat(900)}`) });
    const message = renderSlackMessage(alert);
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const text of sectionTexts(message.blocks)) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionChars);
    for (const text of allTexts(message)) expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    const joined = allTexts(message).join('\n');
    const shown = new Set(joined.match(/table_\d{3}/g));
    expect(shown.size).toBeGreaterThan(0);
    expect(joined).toContain(`… and ${200 - shown.size} more resources, see the run in Portable`);
    // three errors of each resource shown, the rest counted
    expect(joined.match(/… and 2 more errors\n|… and 2 more errors$/gm)?.length).toBe(shown.size);
    expect(joined).toMatch(/… and \d+ more errors, see the run in Portable/);
  });

  it('shows every resource of a volume drop that fits, and no count when all fit', () => {
    const drops = Array.from({ length: 20 }, (_, index) => volumeDrop({ name: `table_${index}` }));
    const joined = allTexts(renderSlackMessage(volumeAlert(drops))).join('\n');
    expect(joined.match(/• table_\d+: 0 rows/g)).toHaveLength(20);
    expect(joined).not.toContain('more resources');
  });
});
