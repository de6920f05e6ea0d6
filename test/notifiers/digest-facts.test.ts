import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { digestCounts, digestHeadline, digestLine, digestLines, digestTrailer } from '../../src/notifiers/digest-facts.ts';
import {
  accountErrorAlert,
  attempt,
  failedAlert,
  lostTrackAlert,
  missedAlert,
  monitorErrorAlert,
  monitorRecoveredAlert,
  partialAlert,
  recoveredAlert,
  stalledAlert,
  STARTED_AT,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';
import { digestOf, storm } from './digest-fixtures.ts';

const reminded = (alert: Alert): Alert => ({ ...alert, reminder: { number: 2, since: STARTED_AT, failedAttempts: 4 } });

describe('digest counts', () => {
  it.each<[string, Alert[], string]>([
    ['one failure', storm(1), '1 alert: 1 failed'],
    ['a storm of failures and stalls, largest first', storm(295, { stalledEvery: 59 }), '295 alerts: 290 failed, 5 stalled'],
    ['1,200 failures', storm(1200), '1,200 alerts: 1,200 failed'],
    [
      'recoveries of flows and of monitor errors together, apart from problems',
      [recoveredAlert(), monitorRecoveredAlert(), failedAlert()],
      '3 alerts: 2 recovered, 1 failed',
    ],
    [
      'reminders apart from new incidents, equal counts worst first',
      [reminded(failedAlert()), failedAlert(), reminded(stalledAlert()), missedAlert(), monitorErrorAlert()],
      '5 alerts: 2 reminders, 1 failed, 1 missed run, 1 monitor error',
    ],
    [
      'every other kind, in the singular and the plural',
      [partialAlert(), volumeAlert(), volumeAlert(), { ...failedAlert(), kind: 'unknown-outcome' }, testAlert(), testAlert()],
      '6 alerts: 2 volume drops, 2 tests, 1 unknown outcome, 1 partial load',
    ],
    ['nothing', [], '0 alerts'],
  ])('heads the digest of %s', (_name, alerts, headline) => {
    expect(digestHeadline(digestOf(alerts))).toBe(headline);
    expect(digestCounts(alerts).reduce((sum, { count }) => sum + count, 0)).toBe(alerts.length);
  });
});

describe('digest lines', () => {
  it.each<[string, Alert, string, string]>([
    ['a failure: the first line of the first error', failedAlert({ attempt: attempt({ errors: ['\n  boom: table gone  \nstack…', 'second'] }) }), 'FAILED', 'boom: table gone'],
    ['a failure without errors', failedAlert({ attempt: attempt({ errors: ['', '  '] }) }), 'FAILED', 'attempt 632458 failed without an error message'],
    ['a stall', stalledAlert(), 'STALLED', 'running for 3h 5m, limit 2h'],
    ['a missed run', missedAlert(), 'MISSED RUN', 'no run since 2026-11-29 07:47:48 UTC; expected at 2026-11-29 08:47:48 UTC'],
    ['a partial load: the first resource error', partialAlert(), 'PARTIAL LOAD', 'Row 17: value too long for column NAME'],
    ['a volume drop', volumeAlert(), 'VOLUME DROP', 'fewer rows than usual: orders'],
    [
      'an unknown outcome',
      { ...failedAlert({ attempt: attempt({ errors: [], unrecognised: 'disposition "cancelled"' }) }), kind: 'unknown-outcome' },
      'UNKNOWN OUTCOME',
      'finished with an outcome portable-watch does not know: disposition "cancelled"',
    ],
    ['a monitor error', monitorErrorAlert(), 'MONITOR ERROR', 'cannot be checked: Portable does not know this flow (404)'],
    ['a monitor recovery', monitorRecoveredAlert(), 'MONITOR RECOVERED', 'can be checked again'],
    ['a one-off notice', lostTrackAlert(), 'MONITOR ERROR', 'lost track of attempt 632458: still running 7 days after it was created (last seen running); portable-watch no longer follows it'],
    ['a recovery', recoveredAlert(), 'RECOVERED', 'succeeded again (attempt 632470)'],
    ['a reminder', reminded(failedAlert()), 'STILL FAILING', 'still failing since 2026-11-29 07:47:48 UTC, 4 attempts failed since (reminder 2)'],
  ])('describes %s in its own short words', (_name, alert, title, detail) => {
    expect(digestLine(alert)).toMatchObject({ title, detail });
  });

  it('names the flow with its id and link, and the account without either', () => {
    expect(digestLine(failedAlert())).toEqual({
      title: 'FAILED',
      subject: 'Events to Snowflake',
      flowIdNote: ' (flow 689422)',
      detail: 'SQL compilation error: Table EVENTS does not exist',
      link: 'https://app.portable.io/flows/689422',
    });
    expect(digestLine(accountErrorAlert())).toMatchObject({ subject: 'Portable account', flowIdNote: '' });
    expect(digestLine(failedAlert({ flow: { id: 1, name: 'x', url: 'javascript:alert(1)' } })).link).toBeUndefined();
  });

  it('cuts long names and errors to 150 characters on one line, without splitting a surrogate pair', () => {
    const name = `${'n'.repeat(148)}😀 tail`;
    const line = digestLine(failedAlert({ flow: { id: 1, name }, attempt: attempt({ errors: [`e\t${'x'.repeat(5000)}`] }) }));
    expect(line.subject).toBe(`${'n'.repeat(148)}…`);
    expect(line.detail).toHaveLength(150);
    expect(line.detail.startsWith('e x')).toBe(true);
    expect(digestLine(failedAlert({ flow: { id: 1, name: 'a\nb\u001b[2Jc' } })).subject).toBe('a b[2Jc');
  });

  it('puts the oldest first, keeping the given order for equal times', () => {
    const [a, b, c] = storm(3);
    const lines = digestLines(digestOf([{ ...c!, detectedAt: 5 }, { ...a!, detectedAt: 9 }, { ...b!, detectedAt: 5 }]));
    expect(lines.map((line) => line.subject)).toEqual(['Events 2 to Snowflake', 'Events 1 to Snowflake', 'Events 0 to Snowflake']);
  });

  it('counts what is left out and says where to see it', () => {
    expect(digestTrailer(digestOf([]), 212)).toBe('… and 212 more: run portable-watch status');
    expect(digestTrailer(digestOf([]), 4500)).toBe('… and 4,500 more: run portable-watch status');
    expect(digestTrailer(digestOf([]), 0)).toBe('Each alert in full: run portable-watch status');
  });
});
