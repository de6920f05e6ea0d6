import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.ts';
import { formatDuration, formatTime } from '../../src/notifiers/alert-facts.ts';
import { renderEmail } from '../../src/notifiers/email/render-email.ts';
import { renderPlainText } from '../../src/notifiers/render-plain-text.ts';
import { renderSlackMessage, type SlackBlock } from '../../src/notifiers/slack/render-slack-message.ts';
import {
  accountErrorAlert,
  accountRecoveredAlert,
  attempt,
  failedAlert,
  fallbackStalledAlert,
  HOUR,
  learnedStalledAlert,
  MINUTE,
  missedAlert,
  monitorErrorAlert,
  monitorRecoveredAlert,
  partialAlert,
  recoveredAlert,
  recoveredFromAlert,
  stalledAlert,
  STARTED_AT,
  stateLostAlert,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';

interface RenderCase {
  name: string;
  alert: Alert;
  headline: string;
  sentence: string;
  facts: Record<string, string>;
  /** Labels that must not be shown for this kind. */
  absent?: string[];
  /** After the headline in the fallback text and the email subject; none for an alert about no flow. */
  flowNote?: string;
}

const cases: RenderCase[] = [
  {
    name: 'failed',
    alert: failedAlert(),
    headline: 'FAILED: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake failed.',
    facts: {
      Flow: 'Events to Snowflake (689422)',
      Attempt: '632458',
      Trigger: 'scheduled',
      Started: '2026-11-29 07:47:48 UTC',
      Finished: '2026-11-29 08:52:48 UTC',
      'Ran for': '1h 5m',
      Detected: '2026-11-29 08:53:48 UTC',
    },
    absent: ['Max runtime', 'Resolves', 'Problem'],
  },
  {
    name: 'failed without completedAt',
    alert: failedAlert({ attempt: attempt({ completedAt: null, durationMs: null, trigger: 'manual' }) }),
    headline: 'FAILED: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake failed.',
    facts: { Finished: 'unknown', 'Ran for': 'unknown', Trigger: 'manual' },
  },
  {
    name: 'stalled',
    alert: stalledAlert(),
    headline: 'STALLED: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake has been running for 3h 5m, longer than its max runtime of 2h.',
    facts: { Finished: 'not yet (running)', 'Running for': '3h 5m', 'Max runtime': '2h' },
    absent: ['Ran for'],
  },
  {
    name: 'stalled just past a limit that rounds to the same duration',
    alert: { ...stalledAlert(), attempt: { ...stalledAlert().attempt!, durationMs: 5_400 }, maxRuntimeMs: 5_000 },
    headline: 'STALLED: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake has been running for 5s, past its max runtime of 5s.',
    facts: { 'Running for': '5s', 'Max runtime': '5s' },
  },
  {
    name: 'recovered',
    alert: recoveredAlert(),
    headline: 'RECOVERED: Events to Snowflake',
    sentence: 'Events to Snowflake succeeded again (attempt 632470).',
    facts: { Attempt: '632470', Resolves: 'failed alert for attempt 632458 (since 2026-11-29 07:47:48 UTC)' },
  },
  {
    name: 'stalled past a limit maxRuntime: auto learned',
    alert: learnedStalledAlert(),
    headline: 'STALLED: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake has been running for 27m, longer than its learned limit of 12m (usually 4m–6m, p95 7m).',
    facts: { 'Running for': '27m', 'Max runtime': '12m (learned from 30 successful runs)', 'Usual runtime': '4m–6m, p95 7m, median 5m' },
    absent: ['Learned from'],
  },
  {
    name: 'stalled past autoFallback, with too few runs to learn from',
    alert: fallbackStalledAlert(),
    headline: 'STALLED: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake has been running for 3h 5m, longer than 2h (autoFallback: only 4 successful runs to learn from, 10 needed).',
    facts: { 'Max runtime': '2h (autoFallback)', 'Learned from': '4 successful runs (10 needed)' },
    absent: ['Usual runtime'],
  },
  {
    name: 'missed',
    alert: missedAlert(),
    headline: 'MISSED RUN: Events to Snowflake',
    sentence: 'No run of Events to Snowflake since 2026-11-29 07:47:48 UTC; a run was expected at 2026-11-29 08:47:48 UTC (3 expected runs missed).',
    facts: {
      Flow: 'Events to Snowflake (689422)',
      Schedule: 'cron "47 * * * *" (UTC), from Portable',
      'Last run': '2026-11-29 07:47:48 UTC (ended 2026-11-29 08:07:48 UTC)',
      Expected: '2026-11-29 08:47:48 UTC',
      'Missed runs': '3',
      Grace: '6m (missedAfter)',
      Detected: '2026-11-29 10:53:48 UTC',
    },
    absent: ['Attempt', 'Started', 'Max runtime', 'Resolves'],
  },
  {
    name: 'partial',
    alert: partialAlert(),
    headline: 'PARTIAL LOAD: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake succeeded but loaded only part of the data.',
    facts: { Attempt: '632458', 'Ran for': '1h 5m' },
    absent: ['Tolerance', 'Schedule'],
  },
  {
    name: 'partial with a tolerance',
    alert: partialAlert(undefined, 0.005),
    headline: 'PARTIAL LOAD: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake succeeded but loaded only part of the data.',
    facts: { Tolerance: '0.5% of rows extracted (partialTolerance)' },
  },
  {
    name: 'volume',
    alert: volumeAlert(),
    headline: 'VOLUME DROP: Events to Snowflake',
    sentence: 'Attempt 632458 of Events to Snowflake loaded far fewer rows than usual.',
    facts: { Attempt: '632458', Finished: '2026-11-29 08:52:48 UTC' },
    absent: ['Tolerance', 'Max runtime'],
  },
  {
    name: 'recovered from a missed run',
    alert: recoveredFromAlert({ kind: 'missed', since: STARTED_AT + HOUR + 6 * MINUTE, expectedAt: STARTED_AT + HOUR }),
    headline: 'RECOVERED: Events to Snowflake',
    sentence: 'Events to Snowflake ran again (attempt 632470).',
    facts: { Attempt: '632470', Resolves: 'missed run expected at 2026-11-29 08:47:48 UTC (since 2026-11-29 08:53:48 UTC)' },
  },
  {
    name: 'recovered from a partial load',
    alert: recoveredFromAlert({ kind: 'partial', attemptId: 632458, since: STARTED_AT }),
    headline: 'RECOVERED: Events to Snowflake',
    sentence: 'Events to Snowflake loaded fully again (attempt 632470).',
    facts: { Resolves: 'partial alert for attempt 632458 (since 2026-11-29 07:47:48 UTC)' },
  },
  {
    name: 'recovered from a volume drop',
    alert: recoveredFromAlert({ kind: 'volume', attemptId: 632458, since: STARTED_AT }),
    headline: 'RECOVERED: Events to Snowflake',
    sentence: 'Events to Snowflake loaded its usual volume again (attempt 632470).',
    facts: { Resolves: 'volume alert for attempt 632458 (since 2026-11-29 07:47:48 UTC)' },
  },
  {
    name: 'monitor error for a flow',
    alert: monitorErrorAlert('flow'),
    headline: 'MONITOR ERROR: Events to Snowflake',
    sentence: 'portable-watch cannot check Events to Snowflake: Portable does not know this flow (404).',
    facts: { Problem: 'Portable does not know this flow (404)', Scope: 'this flow', Since: '2026-11-29 07:47:48 UTC' },
    absent: ['Attempt', 'Started'],
  },
  {
    name: 'monitor error for the account (a rejected token), titled after the account, not the flow that noticed',
    alert: accountErrorAlert(),
    headline: 'MONITOR ERROR: Portable account',
    sentence: 'portable-watch cannot check the Portable account: Portable rejected the API token (401).',
    facts: { Problem: 'Portable rejected the API token (401)', Scope: 'the whole account', Since: '2026-11-29 07:47:48 UTC' },
    absent: ['Flow'],
    flowNote: '',
  },
  {
    name: 'monitor recovered for the account',
    alert: accountRecoveredAlert(),
    headline: 'MONITOR RECOVERED: Portable account',
    sentence: 'portable-watch can check the Portable account again.',
    facts: { Resolves: 'monitor error since 2026-11-29 07:47:48 UTC: Portable rejected the API token (401)' },
    absent: ['Flow', 'Problem'],
    flowNote: '',
  },
  {
    name: 'monitor recovered',
    alert: monitorRecoveredAlert(),
    headline: 'MONITOR RECOVERED: Events to Snowflake',
    sentence: 'portable-watch can check Events to Snowflake again.',
    facts: { Resolves: 'monitor error since 2026-11-29 07:47:48 UTC: Portable does not know this flow (404)' },
    absent: ['Problem'],
  },
  {
    name: 'test',
    alert: testAlert(),
    headline: 'TEST: portable-watch test message',
    sentence: 'This is a test alert sent by portable-watch test-alert; nothing is wrong.',
    facts: { Sent: '2026-11-29 08:53:48 UTC' },
    absent: ['Detected', 'Attempt', 'Flow'],
    flowNote: '',
  },
];

function slackFields(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((block) => (block.type === 'section' ? (block.fields ?? []).map((field) => field.text) : []));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe.each(cases)('rendering a $name alert', ({ alert, headline, sentence, facts, absent = [], flowNote = ' (flow 689422)' }) => {
  it('shows the headline, sentence and facts in Slack', () => {
    const { blocks, text } = renderSlackMessage(alert);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: headline } });
    expect(blocks[1]).toMatchObject({ type: 'section', text: { type: 'mrkdwn', text: sentence } });
    expect(text).toMatch(new RegExp(`^${escapeRegExp(`${headline}${flowNote}`)}( —|$)`));
    const fields = slackFields(blocks);
    for (const [label, value] of Object.entries(facts)) expect(fields).toContain(`*${label}*\n${value}`);
    for (const label of absent) expect(fields.filter((field) => field.startsWith(`*${label}*`))).toEqual([]);
  });

  it('shows the headline, sentence and facts in email and on the console', () => {
    const email = renderEmail(alert);
    expect(email.subject).toBe(`[portable-watch] ${headline}${flowNote}`);
    for (const body of [email.text, renderPlainText(alert)]) {
      expect(body.startsWith(headline)).toBe(true);
      expect(body).toContain(sentence);
      for (const [label, value] of Object.entries(facts)) {
        expect(body).toMatch(new RegExp(`^  ${escapeRegExp(label)}: +${escapeRegExp(value)}$`, 'm'));
      }
      for (const label of absent) expect(body).not.toMatch(new RegExp(`^  ${escapeRegExp(label)}:`, 'm'));
    }
  });
});

describe('the parts every medium shares', () => {
  it('says a test alert is a test in every fallback', () => {
    const summary = 'TEST: portable-watch test message — a test alert, nothing is wrong';
    expect(renderSlackMessage(testAlert()).text).toBe(summary);
    expect(renderPlainText(testAlert()).split('\n')[0]).toBe(summary);
  });

  it('lists row counts per resource, leaving out counts Portable did not report', () => {
    const body = renderPlainText(failedAlert());
    expect(body).toContain('Rows:\n  orders: 1,200 extracted · 1,190 loaded\n  customers: no row counts');
  });

  it('keeps a multi-line error together and indented, and shows monitor details', () => {
    const body = renderPlainText(failedAlert({ attempt: attempt({ errors: ['first line\r\nsecond line'] }) }));
    expect(body).toContain('Errors (1):\n  - first line\n    second line');
    expect(renderPlainText(monitorErrorAlert())).toContain('Details:\n  GET /v2/flows/689422 answered 404 Not Found');
    expect(renderPlainText(accountErrorAlert())).toContain('Details:\n  Portable rejected the API token (401) for GET /v2/flows/689422/run: check PORTABLE_API_TOKEN');
  });

  it('does not repeat how to fix an error once it has recovered, in any medium', () => {
    for (const recovered of [accountRecoveredAlert(), monitorRecoveredAlert()]) {
      const advice = recovered.monitor!.message;
      const rendered = [renderPlainText(recovered), renderEmail(recovered).text, JSON.stringify(renderSlackMessage(recovered, { mention: '<!here>' }))];
      for (const text of rendered) expect(text).not.toContain(advice);
    }
    expect(renderPlainText(accountRecoveredAlert())).not.toContain('PORTABLE_API_TOKEN');
  });

  it.each<[string, Alert, string[]]>([
    ['the account (a rejected token, noticed by one flow\'s check)', accountErrorAlert(), ['Events to Snowflake', '(689422)', 'flow 689422']],
    ['the account, recovered', accountRecoveredAlert(), ['Events to Snowflake', '(689422)', 'flow 689422']],
    ['the installation (Redis lost its state)', { ...stateLostAlert(), flow: { id: 0, name: 'portable-watch', url: 'https://app.portable.io/flows/0' } }, ['(0)', 'flow 0']],
    ['nothing (a test)', testAlert(), ['(0)', 'flow 0']],
  ])('names no flow, flow id or flow link in an alert about %s, in any medium', (_name, alert, hidden) => {
    const email = renderEmail(alert);
    const slack = renderSlackMessage(alert, { mention: '<!here>' });
    for (const text of [email.subject, email.text, renderPlainText(alert), slack.text, JSON.stringify(slack.blocks)]) {
      for (const each of hidden) expect(text).not.toContain(each);
      expect(text).not.toMatch(/Open in Portable|Flow:|\*Flow\*/);
    }
  });

  it('strips terminal escape sequences from Portable text', () => {
    const body = renderPlainText(failedAlert({ attempt: attempt({ errors: ['\u001b[2J\u001b[31mred'] }) }));
    expect(body).not.toContain('\u001b');
    expect(body).toContain('[2J[31mred');
  });

  it('shows the link only when it is an http(s) URL', () => {
    expect(renderPlainText(failedAlert())).toContain('Open in Portable: https://app.portable.io/flows/689422');
    const scripted = failedAlert({ flow: { id: 1, name: 'x', url: 'javascript:alert(1)' } });
    expect(renderPlainText(scripted)).not.toContain('Open in Portable');
    expect(JSON.stringify(renderSlackMessage(scripted))).not.toContain('javascript');
  });

  it.each([
    [0, '0s'],
    [999, '0s'],
    [45_000, '45s'],
    [65_000, '1m 5s'],
    [HOUR + 5 * MINUTE + 59_000, '1h 5m'],
    [2 * HOUR, '2h'],
    [26 * HOUR + 30 * MINUTE, '1d 2h'],
    [null, 'unknown'],
    [-1, 'unknown'],
  ])('formats a duration of %s ms as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it('formats times in UTC', () => {
    expect(formatTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02 03:04:05 UTC');
    expect(formatTime(Number.NaN)).toBe('unknown');
  });
});
