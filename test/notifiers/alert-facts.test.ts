import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import {
  alertFacts,
  alertSentence,
  alertSummary,
  cleanText,
  flowLink,
  formatDuration,
  monitorDetails,
  oneLine,
} from '../../src/notifiers/alert-facts.ts';
import {
  accountRecoveredAlert,
  attempt,
  failedAlert,
  HOUR,
  lostTrackAlert,
  MINUTE,
  monitorErrorAlert,
  recoveredAlert,
  stalledAlert,
  stateLostAlert,
} from './alert-fixtures.ts';

function withoutAttempt(alert: Alert): Alert {
  const copy = { ...alert };
  delete copy.attempt;
  return copy;
}

const pendingAttempt = attempt({ state: 'pending', completedAt: null, durationMs: 65_000, errors: [], resources: [] });

describe('alertSentence', () => {
  it.each<[string, Alert, string]>([
    [
      'a stalled attempt still pending, without a max runtime',
      { ...failedAlert({ attempt: pendingAttempt }), kind: 'stalled' },
      'Attempt 632458 of Events to Snowflake has been pending for 1m 5s.',
    ],
    [
      'a stalled alert that carries no attempt',
      withoutAttempt(stalledAlert()),
      'Events to Snowflake has been running for unknown, longer than its max runtime of 2h.',
    ],
    ['a recovery that carries no attempt', withoutAttempt(recoveredAlert()), 'Events to Snowflake succeeded again.'],
    [
      'an unknown outcome, quoting what Portable sent',
      failedAlert({ kind: 'unknown-outcome', attempt: attempt({ state: 'unrecognised', unrecognised: 'disposition "cancelled"' }) }),
      'Attempt 632458 of Events to Snowflake finished with an outcome portable-watch does not know: disposition "cancelled". Look at the run in Portable.',
    ],
    [
      'an unknown outcome without the value',
      failedAlert({ kind: 'unknown-outcome', attempt: attempt({ state: 'unrecognised' }) }),
      'Attempt 632458 of Events to Snowflake finished with an outcome portable-watch does not know: unreadable. Look at the run in Portable.',
    ],
    [
      'an unknown outcome that carries no attempt',
      withoutAttempt(failedAlert({ kind: 'unknown-outcome' })),
      'Events to Snowflake finished with an outcome portable-watch does not know: unreadable. Look at the run in Portable.',
    ],
    [
      'a monitor error whose problem was not recorded',
      withoutAttempt(failedAlert({ kind: 'monitor-error' })),
      'portable-watch cannot check Events to Snowflake: unknown problem.',
    ],
    [
      'a lost-track notice, in its own words, capitalised',
      lostTrackAlert(),
      'Lost track of attempt 632458: still running 7 days after it was created (last seen running); portable-watch no longer follows it.',
    ],
    [
      'a state-lost notice, in its own words',
      stateLostAlert(),
      "Redis lost portable-watch's state at about 2026-11-29 07:47:48 UTC (restart without persistence?); checking resumed.",
    ],
  ])('says what happened for %s', (_name, alert, sentence) => {
    expect(alertSentence(alert)).toBe(sentence);
  });
});

describe('alertSummary and alertFacts', () => {
  it('names no flow for an alert about the whole installation', () => {
    const alert = stateLostAlert();
    expect(alertSummary(alert)).toBe('MONITOR ERROR: portable-watch');
    expect(alertFacts(alert)).toEqual([
      { label: 'Problem', value: "Redis lost portable-watch's state" },
      { label: 'Scope', value: 'every watched flow' },
      { label: 'Since', value: '2026-11-29 07:47:48 UTC' },
      { label: 'Detected', value: '2026-11-29 08:53:48 UTC' },
    ]);
  });

  it('titles an installation-wide alert portable-watch, whatever flow stands in for it', () => {
    const alert = { ...stateLostAlert(), flow: { id: 0, name: 'flow 0' } };
    expect(alertSummary(alert)).toBe('MONITOR ERROR: portable-watch');
  });

  it('names the flow for a lost-track notice', () => {
    expect(alertSummary(lostTrackAlert())).toBe('MONITOR ERROR: Events to Snowflake (flow 689422)');
    expect(alertFacts(lostTrackAlert())[0]).toEqual({ label: 'Flow', value: 'Events to Snowflake (689422)' });
  });

  it('shows a pending attempt as not finished and still running', () => {
    const facts = alertFacts(failedAlert({ kind: 'stalled', attempt: pendingAttempt }));
    expect(facts).toContainEqual({ label: 'Finished', value: 'not yet (pending)' });
    expect(facts).toContainEqual({ label: 'Running for', value: '1m 5s' });
    expect(facts.map((fact) => fact.label)).not.toContain('Ran for');
  });
});

describe('monitorDetails', () => {
  it.each<[string, Alert, string | undefined]>([
    ['a monitor error', monitorErrorAlert(), 'GET /v2/flows/689422 answered 404 Not Found'],
    [
      'a monitor error with an empty message',
      { ...monitorErrorAlert(), monitor: { ...monitorErrorAlert().monitor!, message: '' } },
      undefined,
    ],
    ['a notice, whose message is already the sentence', lostTrackAlert(), undefined],
    ['a recovery, whose error\'s advice on fixing it is done with', accountRecoveredAlert(), undefined],
    ['a run alert', failedAlert(), undefined],
  ])('gives the details of %s', (_name, alert, details) => {
    expect(monitorDetails(alert)).toBe(details);
  });
});

describe('flowLink', () => {
  it.each<[string | undefined, string | undefined]>([
    ['https://app.portable.io/flows/689422', 'https://app.portable.io/flows/689422'],
    ['http://portable.internal:8080/flows/7', 'http://portable.internal:8080/flows/7'],
    ['javascript:alert(1)', undefined],
    ['ftp://files.example.test/flows/7', undefined],
    ['not a url', undefined],
    [undefined, undefined],
  ])('links %j as %j', (url, link) => {
    expect(flowLink(failedAlert({ flow: { id: 7, name: 'x', ...(url === undefined ? {} : { url }) } }))).toBe(link);
  });
});

describe('formatDuration', () => {
  it.each([
    [Number.NaN, 'unknown'],
    [Number.POSITIVE_INFINITY, 'unknown'],
    [24 * HOUR + 5 * MINUTE, '1d'],
    [HOUR + 30_000, '1h'],
    [10 * HOUR + 5 * MINUTE, '10h 5m'],
  ])('formats %s ms as %s, dropping a zero second unit', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('cleanText and oneLine', () => {
  it.each([
    ['a\r\nb', 'a\nb'],
    ['a\rb', 'a\nb'],
    ['a\u2028b\u2029c', 'a\nb\nc'],
    ['a\tb\u0007\u202e', 'a\tb'],
  ])('cleanText keeps %j as %j', (text, expected) => {
    expect(cleanText(text)).toBe(expected);
  });

  it.each([
    ['a\n\n\tb', 'a b'],
    ['a\r\nb\tc', 'a b c'],
  ])('oneLine turns %j into %j', (text, expected) => {
    expect(oneLine(text)).toBe(expected);
  });
});
