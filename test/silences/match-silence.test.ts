import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { testMessage } from '../../src/alerts/alert.ts';
import { firstMatchingSilence, silenceMatches, silenceMatchesFlow } from '../../src/silences/match-silence.ts';
import type { Silence } from '../../src/silences/silence-types.ts';
import { failedAlert, HOUR, recoveredAlert, stalledAlert } from '../notifiers/alert-fixtures.ts';

/** Which alerts a silence holds: pure, so every rule is a row. */

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const LABELS = { team: 'growth', tier: 'critical' };

function silence(overrides: Partial<Silence> = {}): Silence {
  return { id: 's-0000000a', startsAt: NOW - HOUR, endsAt: NOW + HOUR, reason: 'warehouse upgrade', createdAt: NOW - HOUR, ...overrides };
}

/** The fixtures' flow (689422, "Events to Snowflake") with labels. */
function labelled(alert: Alert): Alert {
  return { ...alert, flow: { ...alert.flow, labels: LABELS } };
}

const failed = labelled(failedAlert());
const accountWide: Alert = {
  ...failed,
  key: 'account:monitor-error',
  kind: 'monitor-error',
  monitor: { problem: 'unauthorized', message: '401', since: NOW, scope: 'account' },
};
const flowMonitorError: Alert = { ...accountWide, key: '689422:monitor-error', monitor: { problem: 'not-found', message: '404', since: NOW, scope: 'flow' } };
const recoveredFromStalled: Alert = { ...labelled(recoveredAlert()), resolves: { kind: 'stalled', attemptId: 632458, since: NOW - HOUR } };

const CASES: Array<[string, Partial<Silence>, Alert, boolean]> = [
  ['the flow id matches', { flow: 689422 }, failed, true],
  ['another flow id', { flow: 689423 }, failed, false],
  ['one label matches', { labels: { team: 'growth' } }, failed, true],
  ['every label matches', { labels: LABELS }, failed, true],
  ['one label of two differs', { labels: { team: 'growth', tier: 'low' } }, failed, false],
  ['a label the flow lacks', { labels: { owner: 'ana' } }, failed, false],
  ['labels on a flow without any', { labels: { team: 'growth' } }, failedAlert(), false],
  ['label values are compared exactly', { labels: { team: 'Growth' } }, failed, false],
  ['a name glob with *', { name: 'events*' }, failed, true],
  ['* spans spaces', { name: 'events*snowflake' }, failed, true],
  ['case is ignored', { name: 'EVENTS TO SNOWFLAKE' }, failed, true],
  ['a name glob that does not match', { name: 'orders*' }, failed, false],
  ['a glob matches the whole name', { name: 'events' }, failed, false],
  ['? is literal, not one character', { name: 'Events to Snowflak?' }, failed, false],
  ['a leading ! matches the other names', { name: '!orders*' }, failed, true],
  ['flow and name must both hold', { flow: 689422, name: 'orders*' }, failed, false],
  ['flow, labels and name all hold', { flow: 689422, labels: { team: 'growth' }, name: '*snowflake' }, failed, true],
  ['its kind is listed', { flow: 689422, kinds: ['failed', 'stalled'] }, failed, true],
  ['its kind is not listed', { flow: 689422, kinds: ['stalled'] }, failed, false],
  ['a stalled alert under kinds stalled', { flow: 689422, kinds: ['stalled'] }, stalledAlert(), true],
  ['a recovery counts as the kind it ends', { flow: 689422, kinds: ['failed'] }, labelled(recoveredAlert()), true],
  ['a recovery from stalled is not a failed one', { flow: 689422, kinds: ['failed'] }, recoveredFromStalled, false],
  ['a flow-scoped monitor error', { flow: 689422, kinds: ['monitor-error'] }, flowMonitorError, true],
  ['an account-wide alert is never silenced', { flow: 689422 }, accountWide, false],
  ['not even by a name matching everything', { name: '*' }, accountWide, false],
  ['a test alert is never silenced', { name: '*' }, testMessage(NOW), false],
  ['no matcher at all matches nothing', {}, failed, false],
  ['empty labels are no matcher', { labels: {} }, failed, false],
  ['not started yet', { flow: 689422, startsAt: NOW + 1 }, failed, false],
  ['starts exactly now', { flow: 689422, startsAt: NOW }, failed, true],
  ['ends exactly now', { flow: 689422, endsAt: NOW }, failed, false],
  ['ended', { flow: 689422, endsAt: NOW - 1 }, failed, false],
];

describe('silenceMatches', () => {
  it.each(CASES)('%s', (_case, overrides, alert, expected) => {
    expect(silenceMatches(silence(overrides), alert, NOW)).toBe(expected);
  });
});

describe('silenceMatchesFlow', () => {
  const flow = { id: 7, name: 'Orders / EU (nightly)', labels: LABELS };

  it.each([
    [{ name: 'orders*' }, true],
    [{ name: '*/ eu*' }, true],
    [{ name: 'Orders \\*' }, false],
    [{ labels: { tier: 'critical' } }, true],
    [{ flow: 7, kinds: ['failed' as const] }, true],
    [{ flow: 8 }, false],
  ])('%j → %s, whatever the time and kind', (matchers, expected) => {
    expect(silenceMatchesFlow(silence({ ...matchers, endsAt: NOW - 1 }), flow)).toBe(expected);
  });
});

describe('firstMatchingSilence', () => {
  it('chooses the matching silence that ends last, ties to the lower id, and none when none matches', () => {
    const soon = silence({ id: 's-00000001', flow: 689422, endsAt: NOW + HOUR });
    const late = silence({ id: 's-00000003', labels: { team: 'growth' }, endsAt: NOW + 3 * HOUR });
    const lateTwin = silence({ id: 's-00000002', name: 'events*', endsAt: NOW + 3 * HOUR });
    const latestOther = silence({ id: 's-00000004', flow: 1, endsAt: NOW + 9 * HOUR });
    const latestEnded = silence({ id: 's-00000005', flow: 689422, endsAt: NOW });
    expect(firstMatchingSilence([soon, late, latestOther, latestEnded], failed, NOW)).toBe(late);
    expect(firstMatchingSilence([late, lateTwin, soon], failed, NOW)).toBe(lateTwin);
    expect(firstMatchingSilence([latestOther, latestEnded], failed, NOW)).toBeUndefined();
    expect(firstMatchingSilence([], failed, NOW)).toBeUndefined();
  });

  it('breaks a tie to the lower id whatever order the silences come in, so every replica names the same one', () => {
    const lower = silence({ id: 's-0000000b', flow: 689422, endsAt: NOW + 3 * HOUR });
    const higher = silence({ id: 's-0000000c', name: 'events*', endsAt: NOW + 3 * HOUR });
    const shorter = silence({ id: 's-00000001', labels: { team: 'growth' }, endsAt: NOW + 2 * HOUR });
    for (const order of [
      [lower, higher, shorter],
      [higher, lower, shorter],
      [shorter, lower, higher],
      [shorter, higher, lower],
    ]) {
      expect(firstMatchingSilence(order, failed, NOW)).toBe(lower);
    }
    // The one ending last wins even when its id is higher and it comes first.
    const longest = silence({ id: 's-ffffffff', flow: 689422, endsAt: NOW + 3 * HOUR + 1 });
    expect(firstMatchingSilence([longest, lower, higher], failed, NOW)).toBe(longest);
    expect(firstMatchingSilence([lower, higher, longest], failed, NOW)).toBe(longest);
  });
});
