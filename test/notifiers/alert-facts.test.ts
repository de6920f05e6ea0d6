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
  fallbackStalledAlert,
  HOUR,
  learnedStalledAlert,
  lostTrackAlert,
  MINUTE,
  missedAlert,
  monitorErrorAlert,
  partialAlert,
  recoveredAlert,
  recoveredFromAlert,
  stalledAlert,
  STARTED_AT,
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

function withRuntime(alert: Alert, runtime: Partial<NonNullable<Alert['runtime']>>, durationMs?: number): Alert {
  const attemptWithDuration = durationMs === undefined ? alert.attempt : { ...alert.attempt!, durationMs };
  return { ...alert, ...(attemptWithDuration ? { attempt: attemptWithDuration } : {}), runtime: { ...alert.runtime!, ...runtime } };
}

describe('alertSentence for a stalled run, by how its limit was found', () => {
  const subject = 'Attempt 632458 of Events to Snowflake has been running for';
  it.each<[string, Alert, string]>([
    ['a fixed maxRuntime, as before auto existed', { ...stalledAlert(), runtime: { limitMs: 2 * HOUR, source: 'fixed' } }, `${subject} 3h 5m, longer than its max runtime of 2h.`],
    ['a learned limit', learnedStalledAlert(), `${subject} 27m, longer than its learned limit of 12m (usually 4m–6m, p95 7m).`],
    ['a learned limit just passed', withRuntime(learnedStalledAlert(), {}, 12 * MINUTE + 400), `${subject} 12m, past its learned limit of 12m (usually 4m–6m, p95 7m).`],
    ['a learned limit from runs that all took as long', withRuntime(learnedStalledAlert(), { usualLowMs: 5 * MINUTE, usualHighMs: 5 * MINUTE }), `${subject} 27m, longer than its learned limit of 12m (usually 5m, p95 7m).`],
    [
      'a learned limit that carries no usual range',
      { ...learnedStalledAlert(), runtime: { limitMs: 12 * MINUTE, source: 'learned', samples: 30 } },
      `${subject} 27m, longer than its learned limit of 12m (from 30 successful runs).`,
    ],
    ['the fallback', fallbackStalledAlert(), `${subject} 3h 5m, longer than 2h (autoFallback: only 4 successful runs to learn from, 10 needed).`],
    ['the fallback with one run', withRuntime(fallbackStalledAlert(), { samples: 1 }), `${subject} 3h 5m, longer than 2h (autoFallback: only 1 successful run to learn from, 10 needed).`],
    ['the fallback says how many runs detection needs', withRuntime(fallbackStalledAlert(), { samplesNeeded: 12 }), `${subject} 3h 5m, longer than 2h (autoFallback: only 4 successful runs to learn from, 12 needed).`],
    ['the fallback with none', withRuntime(fallbackStalledAlert(), { samples: 0 }), `${subject} 3h 5m, longer than 2h (autoFallback: no successful runs to learn from, 10 needed).`],
    ['the fallback just passed', withRuntime(fallbackStalledAlert(), {}, 2 * HOUR + 900), `${subject} 2h, past its limit of 2h (autoFallback: only 4 successful runs to learn from, 10 needed).`],
  ])('says how the limit was found for %s', (_name, alert, sentence) => {
    expect(alertSentence(alert)).toBe(sentence);
  });

  it('takes the limit from runtime when maxRuntimeMs is absent', () => {
    const alert = learnedStalledAlert();
    delete alert.maxRuntimeMs;
    expect(alertSentence(alert)).toContain('longer than its learned limit of 12m');
    expect(alertFacts(alert)).toContainEqual({ label: 'Max runtime', value: '12m (learned from 30 successful runs)' });
  });

  it('labels a learned limit from one run in the singular', () => {
    expect(alertFacts(withRuntime(learnedStalledAlert(), { samples: 1 }))).toContainEqual({ label: 'Max runtime', value: '12m (learned from 1 successful run)' });
  });
});

describe('alertSentence and facts for a missed run', () => {
  const name = 'Events to Snowflake';
  it.each<[string, Alert, string]>([
    ['one slot', missedAlert({ slots: 1 }), `No run of ${name} since 2026-11-29 07:47:48 UTC; a run was expected at 2026-11-29 08:47:48 UTC.`],
    ['a count that stopped', missedAlert({ slots: 1000, slotsCapped: true }), `No run of ${name} since 2026-11-29 07:47:48 UTC; a run was expected at 2026-11-29 08:47:48 UTC (1,000+ expected runs missed).`],
    [
      'no run seen since watching began',
      missedAlert({ lastRunAt: null, slots: 2 }),
      `No run of ${name} since watching began at 2026-11-29 08:07:48 UTC; a run was expected at 2026-11-29 08:47:48 UTC (2 expected runs missed).`,
    ],
    ['an alert without its details', { ...missedAlert(), missed: undefined }, `${name} missed a scheduled run.`],
  ])('reads for %s', (_name, alert, sentence) => {
    expect(alertSentence(alert)).toBe(sentence);
  });

  it.each<[string, Alert, string, string]>([
    ['a run that ended after it began', missedAlert(), '2026-11-29 07:47:48 UTC (ended 2026-11-29 08:07:48 UTC)', '3'],
    ['a run whose end is not known', missedAlert({ since: STARTED_AT }), '2026-11-29 07:47:48 UTC', '3'],
    ['no run seen', missedAlert({ lastRunAt: null, slotsCapped: true, slots: 1000 }), 'none seen since watching began at 2026-11-29 08:07:48 UTC', '1,000+'],
  ])('shows the last run and the count for %s', (_name, alert, lastRun, count) => {
    const facts = alertFacts(alert);
    expect(facts).toContainEqual({ label: 'Last run', value: lastRun });
    expect(facts).toContainEqual({ label: 'Missed runs', value: count });
  });

  it('shows no summary attempt, since a missed run has none', () => {
    expect(alertSummary(missedAlert())).toBe('MISSED RUN: Events to Snowflake (flow 689422)');
  });
});

describe('alertSentence for partial loads and recoveries', () => {
  it('says a success with only its own errors may be missing data, without naming a resource', () => {
    const alert = partialAlert([]);
    alert.attempt = { ...alert.attempt!, errors: ['Sync of table refunds skipped'] };
    expect(alertSentence(alert)).toBe('Attempt 632458 of Events to Snowflake succeeded, but with errors: part of the data may be missing.');
  });

  it.each<[string, Alert, string, string]>([
    [
      'a missed run, without an attempt',
      withoutAttempt(recoveredFromAlert({ kind: 'missed', since: STARTED_AT })),
      'Events to Snowflake ran again.',
      'missed run (since 2026-11-29 07:47:48 UTC)',
    ],
    ['a partial load whose attempt is not known', recoveredFromAlert({ kind: 'partial', since: STARTED_AT }), 'Events to Snowflake loaded fully again (attempt 632470).', 'partial alert (since 2026-11-29 07:47:48 UTC)'],
    ['a stalled run', recoveredFromAlert({ kind: 'stalled', attemptId: 1, since: STARTED_AT }), 'Events to Snowflake succeeded again (attempt 632470).', 'stalled alert for attempt 1 (since 2026-11-29 07:47:48 UTC)'],
  ])('says what came right after %s', (_name, alert, sentence, resolves) => {
    expect(alertSentence(alert)).toBe(sentence);
    expect(alertFacts(alert)).toContainEqual({ label: 'Resolves', value: resolves });
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
