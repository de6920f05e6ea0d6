import { describe, expect, it } from 'vitest';
import { describeKinds, describeMatchers, describeSilence, formatRemaining, renderSilencesJson, renderSilencesTable } from '../../src/silences/render-silences.ts';
import type { Silence } from '../../src/silences/silence-types.ts';

/** How silences read: `silence add`'s summary, the `silence list` table, and `silence list --json` for scripts. */

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const SECOND = 1_000;
const MIN = 60 * SECOND;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const FLOW_NAMES = new Map([[689422, 'Orders load']]);

function silence(overrides: Partial<Silence> = {}): Silence {
  return { id: 's-0000000a', startsAt: NOW - HOUR, endsAt: NOW + 2 * HOUR, reason: 'warehouse upgrade', createdAt: NOW - HOUR, ...overrides };
}

describe('describeMatchers', () => {
  it.each<[string, Pick<Silence, 'flow' | 'labels' | 'name'>, string]>([
    ['a flow id the config names', { flow: 689422 }, 'flow 689422 (Orders load)'],
    ['a flow id the config does not name', { flow: 7 }, 'flow 7'],
    ['one label, singular', { labels: { team: 'growth' } }, 'label team=growth'],
    ['two labels, plural, comma-separated', { labels: { team: 'growth', tier: 'critical' } }, 'labels team=growth, tier=critical'],
    ['a name glob, quoted', { name: 'warehouse*' }, 'name "warehouse*"'],
    ['every matcher, joined with and', { flow: 689422, labels: { team: 'growth' }, name: 'orders*' }, 'flow 689422 (Orders load) and label team=growth and name "orders*"'],
    ['empty labels are no matcher', { labels: {} }, 'nothing'],
    ['no matcher at all', {}, 'nothing'],
    ['control characters in a pasted glob or label never reach the terminal', { labels: { team: 'gr\u001b[2Jowth' }, name: 'a\u0007b' }, 'label team=gr [2Jowth and name "a b"'],
  ])('%s', (_case, matchers, expected) => {
    expect(describeMatchers(matchers, FLOW_NAMES)).toBe(expected);
  });

  it('strips control characters from a flow name that came from Portable', () => {
    expect(describeMatchers({ flow: 1 }, new Map([[1, 'Orders\u001b]0;pwned\u0007']]))).toBe('flow 1 (Orders ]0;pwned )');
  });

  it('names the flow by id alone when no names are given', () => {
    expect(describeMatchers({ flow: 689422 })).toBe('flow 689422');
  });
});

describe('describeKinds', () => {
  it.each<[Silence['kinds'], string]>([
    [undefined, 'every kind'],
    [['failed'], 'failed'],
    [['failed', 'stalled'], 'failed, stalled'],
  ])('%j → %s', (kinds, expected) => {
    expect(describeKinds(kinds === undefined ? {} : { kinds })).toBe(expected);
  });
});

describe('formatRemaining', () => {
  it.each<[string, number, string]>([
    ['ended long ago', -5 * MIN, 'ended'],
    ['ends exactly now', 0, 'ended'],
    ['a millisecond left', 1, 'in 0s'],
    ['under a second left', 999, 'in 0s'],
    ['one second', SECOND, 'in 1s'],
    ['seconds', 45 * SECOND + 999, 'in 45s'],
    ['one minute exactly: no 0s', MIN, 'in 1m'],
    ['minutes and seconds', 5 * MIN + 7 * SECOND, 'in 5m 7s'],
    ['the two largest units, rounded down', HOUR + 40 * MIN + 20 * SECOND + 999, 'in 1h 40m'],
    ['ten minutes is not dropped for its 0', 2 * HOUR + 10 * MIN, 'in 2h 10m'],
    ['a whole number of hours', 2 * HOUR, 'in 2h'],
    ['days and hours', 2 * DAY + 3 * HOUR + 59 * MIN, 'in 2d 3h'],
    // The two largest units are days and hours even when there are no hours: the minutes are not shown.
    ['days, no hours, some minutes', 2 * DAY + 5 * MIN, 'in 2d'],
    ['ninety days', 90 * DAY, 'in 90d'],
  ])('%s', (_case, left, expected) => {
    expect(formatRemaining(NOW + left, NOW)).toBe(expected);
  });
});

describe('describeSilence', () => {
  it('says what is silenced, which kinds, until when and why', () => {
    expect(describeSilence(silence({ flow: 689422, kinds: ['failed', 'stalled'] }), NOW, FLOW_NAMES)).toBe(
      'silenced flow 689422 (Orders load) (failed, stalled) until 2026-12-01T14:00:00Z (in 2h): warehouse upgrade',
    );
    expect(describeSilence(silence({ name: 'events*', reason: 'ask\u001b[31m ana', endsAt: NOW + DAY + 30 * MIN }), NOW)).toBe(
      'silenced name "events*" (every kind) until 2026-12-02T12:30:00Z (in 1d): ask [31m ana',
    );
  });
});

describe('renderSilencesTable', () => {
  it('says so when there are none', () => {
    expect(renderSilencesTable([], NOW)).toBe('No silences.');
  });

  it('lines the silences up under ID, MATCHES, KINDS, ENDS and REASON; one yet to start says when it starts', () => {
    const inForce = silence({ flow: 689422, kinds: ['failed', 'stalled'] });
    const startsLater = silence({ id: 's-0000000b', labels: { team: 'growth' }, name: 'events*', startsAt: NOW + HOUR, endsAt: NOW + 26 * HOUR + 5 * MIN, reason: 'ask ana' });
    expect(renderSilencesTable([inForce, startsLater], NOW, FLOW_NAMES).split('\n')).toEqual([
      'ID          MATCHES                               KINDS            ENDS                             REASON',
      's-0000000a  flow 689422 (Orders load)             failed, stalled  2026-12-01T14:00:00Z (in 2h)     warehouse upgrade',
      's-0000000b  label team=growth and name "events*"  every kind       2026-12-02T14:05:00Z (in 1d 2h)  (starts 2026-12-01T13:00:00Z) ask ana',
    ]);
  });

  it.each<[string, number, string]>([
    ['started before now', NOW - 1, 'why'],
    ['starting exactly now', NOW, 'why'],
    ['starting a millisecond from now', NOW + 1, '(starts 2026-12-01T12:00:00Z) why'],
  ])('the reason of a silence %s', (_case, startsAt, reason) => {
    const [, row] = renderSilencesTable([silence({ flow: 7, startsAt, reason: 'why' })], NOW).split('\n');
    expect(row?.endsWith(`  ${reason}`)).toBe(true);
    expect(row).toContain(reason);
  });

  it('cuts long matchers to 40 characters so the reasons start in one column, and keeps the reason whole and printable', () => {
    const longGlob = silence({ name: 'x'.repeat(60), reason: `${'very long reason '.repeat(6)}\u001b[2J` });
    const lines = renderSilencesTable([longGlob], NOW).split('\n');
    expect(lines[1]).toBe(`s-0000000a  name "${'x'.repeat(33)}…  every kind  2026-12-01T14:00:00Z (in 2h)  ${'very long reason '.repeat(6)} [2J`);
  });
});

describe('renderSilencesJson', () => {
  it('gives scripts every field, null for a matcher not given and kinds null for every kind, times as { ms, iso }', () => {
    const full = silence({ flow: 689422, labels: { team: 'growth' }, name: 'events*', kinds: ['failed'] });
    const bare = silence({ id: 's-0000000b', name: 'orders*', createdAt: NOW });
    expect(JSON.parse(renderSilencesJson([full, bare]))).toEqual([
      {
        id: 's-0000000a',
        flow: 689422,
        labels: { team: 'growth' },
        name: 'events*',
        kinds: ['failed'],
        startsAt: { ms: NOW - HOUR, iso: '2026-12-01T11:00:00.000Z' },
        endsAt: { ms: NOW + 2 * HOUR, iso: '2026-12-01T14:00:00.000Z' },
        reason: 'warehouse upgrade',
        createdAt: { ms: NOW - HOUR, iso: '2026-12-01T11:00:00.000Z' },
      },
      {
        id: 's-0000000b',
        flow: null,
        labels: null,
        name: 'orders*',
        kinds: null,
        startsAt: { ms: NOW - HOUR, iso: '2026-12-01T11:00:00.000Z' },
        endsAt: { ms: NOW + 2 * HOUR, iso: '2026-12-01T14:00:00.000Z' },
        reason: 'warehouse upgrade',
        createdAt: { ms: NOW, iso: '2026-12-01T12:00:00.000Z' },
      },
    ]);
  });

  it('is an empty array when there are none, indented for people who read it too', () => {
    expect(renderSilencesJson([])).toBe('[]');
    expect(renderSilencesJson([silence({ flow: 1 })]).split('\n')[1]).toBe('  {');
  });
});
