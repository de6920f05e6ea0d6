import { describe, expect, it } from 'vitest';
import type { Alert, AlertKind } from '../../src/alerts/alert.ts';
import { alertFacts, alertHeadline, alertSummary } from '../../src/notifiers/alert-facts.ts';
import { renderEmail } from '../../src/notifiers/email/render-email.ts';
import { heldLine, reminderLine } from '../../src/notifiers/incident-facts.ts';
import { renderPlainText } from '../../src/notifiers/render-plain-text.ts';
import { renderSlackMessage, type SlackMessage } from '../../src/notifiers/slack/render-slack-message.ts';
import {
  accountErrorAlert,
  failedAlert,
  HOUR,
  missedAlert,
  monitorErrorAlert,
  partialAlert,
  recoveredAlert,
  stalledAlert,
  STARTED_AT,
  testAlert,
  volumeAlert,
} from './alert-fixtures.ts';

const REMINDER = { number: 2, since: STARTED_AT, failedAttempts: 4 };
const HELD = { what: 'silence s-1a2b3c4d', heldAt: STARTED_AT, releasedAt: STARTED_AT + 2 * HOUR };

function header(message: SlackMessage): string {
  const block = message.blocks[0];
  return block?.type === 'header' ? block.text.text : '';
}

function slackFields(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) => (block.type === 'section' ? (block.fields ?? []) : [])).map((field) => field.text);
}

describe('severity', () => {
  it.each<[string, Alert, string | undefined]>([
    ['a critical failure', failedAlert({ severity: 'critical' }), 'critical'],
    ['a warning about a partial load', { ...partialAlert(), severity: 'warning' }, 'warning'],
    ['an info-level monitor error about the account', { ...accountErrorAlert(), severity: 'info' }, 'info'],
    // Routing sets a severity on recoveries too (they go where the failure went); shown, it would read as an alarm.
    ['a recovery', { ...recoveredAlert(), severity: 'critical' }, undefined],
    ['an alert without a severity, as queued before routing set one', failedAlert(), undefined],
  ])('shows %s as a fact, and leaves the headline, subject and Slack header as filters know them', (_name, alert, shown) => {
    const plain = { ...alert };
    delete plain.severity;
    expect(renderPlainText(alert).split('\n')[0]).toBe(renderPlainText(plain).split('\n')[0]);
    expect(renderEmail(alert).subject).toBe(renderEmail(plain).subject);
    expect(header(renderSlackMessage(alert))).toBe(header(renderSlackMessage(plain)));
    expect(renderSlackMessage(alert).text).toBe(renderSlackMessage(plain).text);
    expect(alertFacts(alert).find((fact) => fact.label === 'Severity')?.value).toBe(shown);
    if (shown !== undefined) expect(JSON.stringify(renderSlackMessage(alert).blocks)).toContain(shown);
    if (shown !== undefined) expect(renderEmail(alert).text).toContain(shown);
  });
});

describe('reminders', () => {
  it.each<[string, Alert, string, string]>([
    ['a failure', failedAlert({ reminder: REMINDER }), 'STILL FAILING: Events to Snowflake', 'still failing since 2026-11-29 07:47:48 UTC, 4 attempts failed since (reminder 2)'],
    [
      'a failure with one failed attempt',
      failedAlert({ reminder: { number: 1, since: STARTED_AT, failedAttempts: 1 } }),
      'STILL FAILING: Events to Snowflake',
      'still failing since 2026-11-29 07:47:48 UTC, 1 attempt failed since (reminder 1)',
    ],
    [
      'a stall',
      { ...stalledAlert(), reminder: { number: 3, since: STARTED_AT } },
      'STILL STALLED: Events to Snowflake',
      'still stalled since 2026-11-29 07:47:48 UTC (reminder 3)',
    ],
    ['a missed run', { ...missedAlert(), reminder: { number: 1, since: STARTED_AT } }, 'STILL MISSING RUNS: Events to Snowflake', 'still missing runs since 2026-11-29 07:47:48 UTC (reminder 1)'],
    [
      'a monitor error about the account',
      { ...accountErrorAlert(), reminder: { number: 12, since: STARTED_AT } },
      'MONITOR ERROR STILL OPEN: Portable account',
      'still not checkable since 2026-11-29 07:47:48 UTC (reminder 12)',
    ],
    ['a volume drop', { ...volumeAlert(), reminder: { number: 1, since: STARTED_AT } }, 'VOLUME STILL LOW: Events to Snowflake', 'still loading less than usual since 2026-11-29 07:47:48 UTC (reminder 1)'],
  ])('titles and explains the reminder of %s', (_name, alert, headline, line) => {
    expect(alertHeadline(alert)).toBe(headline);
    expect(reminderLine(alert)).toBe(line);
    expect(alertFacts(alert)).toContainEqual({ label: 'Reminder', value: line });
    expect(renderPlainText(alert)).toContain(line);
    expect(renderEmail(alert).subject).toBe(`[portable-watch] ${headline}${alert.monitor?.scope === 'account' ? '' : ' (flow 689422)'}`);
    expect(header(renderSlackMessage(alert))).toBe(headline);
    expect(slackFields(renderSlackMessage(alert))).toContain(`*Reminder*\n${line}`);
  });

  it('says nothing of a reminder for an alert that is not one', () => {
    expect(reminderLine(failedAlert())).toBeUndefined();
    expect(alertFacts(failedAlert()).map((fact) => fact.label)).not.toContain('Reminder');
  });

  it.each<AlertKind>(['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome', 'monitor-error'])(
    'gives a reminder of a %s incident a title of its own',
    (kind) => {
      const alert = { ...monitorErrorAlert(), kind, reminder: { number: 1, since: STARTED_AT } };
      const original = { ...alert, reminder: undefined };
      expect(alertHeadline(alert)).not.toBe(alertHeadline(original));
      expect(reminderLine(alert)).toMatch(/^still .+ since 2026-11-29 07:47:48 UTC \(reminder 1\)$/);
    },
  );
});

describe('alertAfter and held alerts', () => {
  it.each<[string, number | undefined, string | undefined]>([
    ['three failures in a row', 3, 'failed 3 times in a row'],
    ['1,200 failures in a row', 1200, 'failed 1,200 times in a row'],
    ['one failure (alertAfter 1, the default)', 1, undefined],
    ['no count', undefined, undefined],
  ])('shows %s', (_name, failuresInARow, value) => {
    const alert = failedAlert(failuresInARow === undefined ? {} : { failuresInARow });
    expect(alertFacts(alert).find((fact) => fact.label === 'Alerted after')?.value).toBe(value);
  });

  it('says which hold kept the alert back, and why it is sent now, in every medium', () => {
    const alert = failedAlert({ heldBy: HELD, failuresInARow: 3, severity: 'critical' });
    const line = 'held by silence s-1a2b3c4d from 2026-11-29 07:47:48 UTC to 2026-11-29 09:47:48 UTC; sent now that it ended and the incident is still open';
    expect(heldLine(alert)).toBe(line);
    expect(alertFacts(alert).slice(0, 4)).toEqual([
      { label: 'Flow', value: 'Events to Snowflake (689422)' },
      { label: 'Severity', value: 'critical' },
      { label: 'Alerted after', value: 'failed 3 times in a row' },
      { label: 'Why now', value: line },
    ]);
    expect(renderPlainText(alert)).toContain(`  Why now:       ${line}\n`);
    expect(renderEmail(alert).text).toContain(line);
    expect(slackFields(renderSlackMessage(alert))).toContain(`*Why now*\n${line}`);
  });

  it('escapes the hold\'s name in Slack like any other fact', () => {
    const alert = failedAlert({ heldBy: { ...HELD, what: 'maintenance window "<!channel> & co"' } });
    expect(slackFields(renderSlackMessage(alert)).find((field) => field.startsWith('*Why now*'))).toContain(
      'held by maintenance window "&lt;!channel&gt; &amp; co" from',
    );
  });

  it('adds no fact for a test alert, nor for an alert without the new fields', () => {
    expect(alertFacts(testAlert()).map((fact) => fact.label)).toEqual(['Sent']);
    expect(alertSummary(failedAlert())).toBe('FAILED: Events to Snowflake (flow 689422) — attempt 632458');
  });
});
