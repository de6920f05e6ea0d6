import { describe, expect, it } from 'vitest';
import { renderTeamsDigest } from '../../src/notifiers/teams/render-teams-digest.ts';
import { MAX_TEAMS_BODY_BYTES, messageBytes, type AdaptiveCard, type TeamsMessage } from '../../src/notifiers/teams/teams-message.ts';
import { monitorRecoveredAlert, partialAlert, recoveredAlert } from './alert-fixtures.ts';
import { digestOf, storm } from './digest-fixtures.ts';
import { activeMarkup, shownText } from './read-teams-markdown.ts';
import { cardProblem } from './teams-receiver.ts';

function cardOf(message: TeamsMessage): AdaptiveCard {
  return message.attachments[0].content;
}

function textBlocks(card: AdaptiveCard): string[] {
  return card.body.flatMap((element) => (element.type === 'TextBlock' ? [element.text] : []));
}

/** The alert lines: the blocks after the headline and intro, before the trailer. */
function alertLines(card: AdaptiveCard): string[] {
  return textBlocks(card).slice(2, -1);
}

describe('the Adaptive Card of a digest', () => {
  it('names every alert of a small storm, with counts, links and where to see each in full', () => {
    const card = cardOf(renderTeamsDigest(digestOf(storm(3, { stalledEvery: 3 }))));
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: '3 alerts: 2 failed, 1 stalled', size: 'Large', color: 'Attention' });
    expect(textBlocks(card)[1]).toBe(
      'Alerts from 2026-11-29 08:47:48 UTC to 2026-11-29 08:48:48 UTC, gathered into one message rather than sent one by one; oldest first.',
    );
    expect(card.body[2]).toEqual({ type: 'FactSet', facts: [{ title: 'failed', value: '2' }, { title: 'stalled', value: '1' }] });
    expect(alertLines(card)).toEqual([
      '**FAILED** [Events 0 to Snowflake](https://app.portable.io/flows/100000) (flow 100000) — SQL compilation error: warehouse EVENTS\\_WH is suspended',
      '**FAILED** [Events 1 to Snowflake](https://app.portable.io/flows/100001) (flow 100001) — SQL compilation error: warehouse EVENTS\\_WH is suspended',
      '**STALLED** [Events 2 to Snowflake](https://app.portable.io/flows/100002) (flow 100002) — running for 3h 5m, limit 2h',
    ]);
    expect(textBlocks(card).at(-1)).toBe('Each alert in full: run portable-watch status');
    expect(card.actions).toEqual([]);
  });

  it('keeps a storm of 300 under the limit, naming the oldest and counting the rest', () => {
    const message = renderTeamsDigest(digestOf(storm(300)));
    expect(messageBytes(message)).toBeLessThanOrEqual(MAX_TEAMS_BODY_BYTES);
    expect(cardProblem('application/json', JSON.stringify(message))).toBeUndefined();
    const lines = alertLines(cardOf(message));
    expect(lines.length).toBeGreaterThan(50);
    lines.forEach((line, index) => expect(line).toContain(`[Events ${index} to Snowflake]`));
    expect(textBlocks(cardOf(message)).at(-1)).toBe(`… and ${300 - lines.length} more: run portable-watch status`);
  });

  it('stays under the limit with the longest hostile names, which show as written and link nowhere else', () => {
    const hostile = (index: number) => `${index} **x** [y](http://evil.example) <at>z</at> {{DATE(2026-01-01T00:00:00Z)}} ${'\\'.repeat(150)}`;
    const message = renderTeamsDigest(digestOf(storm(300, { name: hostile, error: hostile })));
    expect(messageBytes(message)).toBeLessThanOrEqual(MAX_TEAMS_BODY_BYTES);
    const lines = alertLines(cardOf(message));
    const hidden = Number(/… and (\d+) more/.exec(textBlocks(cardOf(message)).at(-1) ?? '')?.[1]);
    expect(lines.length + hidden).toBe(300);
    for (const [index, line] of lines.entries()) {
      const id = 100_000 + index;
      const [name, detail] = line.split(`](https://app.portable.io/flows/${id}) (flow ${id}) — `);
      expect(name?.startsWith('**FAILED** [')).toBe(true);
      for (const text of [name?.slice('**FAILED** ['.length) ?? '', detail ?? '']) {
        expect(activeMarkup(text)).toEqual([]);
        expect(shownText(text).startsWith(`${index} **x** [y](http://evil.example) <at>z</at> {{DATE(`)).toBe(true);
      }
    }
  });

  it('leaves out a link that would crowd out other lines', () => {
    const card = cardOf(renderTeamsDigest(digestOf(storm(1, { url: () => `https://app.portable.io/flows/1?${'q'.repeat(600)}` }))));
    expect(alertLines(card)[0]).toMatch(/^\*\*FAILED\*\* Events 0 to Snowflake \(flow 100000\) — /);
  });

  it.each([
    ['only recoveries', [recoveredAlert(), monitorRecoveredAlert()], 'Good'],
    ['a partial load and a recovery', [recoveredAlert(), partialAlert()], 'Warning'],
    ['failures among partial loads', [partialAlert(), ...storm(1)], 'Attention'],
  ])('colours the headline for %s by the worst alert', (_name, alerts, color) => {
    expect(cardOf(renderTeamsDigest(digestOf(alerts))).body[0]).toMatchObject({ color });
  });
});
