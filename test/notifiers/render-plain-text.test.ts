import { describe, expect, it } from 'vitest';
import { renderPlainText } from '../../src/notifiers/render-plain-text.ts';
import { attempt, failedAlert, stalledAlert, testAlert } from './alert-fixtures.ts';

describe('renderPlainText', () => {
  it('lays out a stalled alert as summary, sentence and aligned facts, with no empty sections', () => {
    const alert = stalledAlert();
    delete alert.flow.url;
    expect(renderPlainText(alert)).toBe(
      [
        'STALLED: Events to Snowflake (flow 689422) — attempt 632458',
        'Attempt 632458 of Events to Snowflake has been running for 3h 5m, longer than its max runtime of 2h.',
        '',
        '  Flow:        Events to Snowflake (689422)',
        '  Attempt:     632458',
        '  Trigger:     scheduled',
        '  Started:     2026-11-29 07:47:48 UTC',
        '  Finished:    not yet (running)',
        '  Running for: 3h 5m',
        '  Max runtime: 2h',
        '  Detected:    2026-11-29 08:53:48 UTC',
        '',
      ].join('\n'),
    );
  });

  it('lays out a test alert, which has no attempt and is about no flow', () => {
    expect(renderPlainText(testAlert())).toBe(
      [
        'TEST: portable-watch test message — a test alert, nothing is wrong',
        'This is a test alert sent by portable-watch test-alert; nothing is wrong.',
        '',
        '  Sent: 2026-11-29 08:53:48 UTC',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [50, 50, undefined],
    [51, 50, '  … and 1 more'],
    [53, 50, '  … and 3 more'],
  ])('lists %i errors as %i and counts the rest', (count, listed, more) => {
    const errors = Array.from({ length: count }, (_, index) => `error #${index + 1}`);
    const body = renderPlainText(failedAlert({ attempt: attempt({ errors }) }));
    const section = body.split('\n\n').find((part) => part.startsWith('Errors'))!.split('\n');
    expect(section[0]).toBe(`Errors (${count}):`);
    expect(section.filter((line) => line.startsWith('  - error #'))).toHaveLength(listed);
    expect(section.at(-1)).toBe(more ?? `  - error #${listed}`);
  });

  it('keeps an error of 10,000 characters whole and cuts a longer one', () => {
    const shown = (length: number) =>
      renderPlainText(failedAlert({ attempt: attempt({ errors: ['e'.repeat(length)] }) }))
        .split('\n')
        .find((line) => line.startsWith('  - '))
        ?.slice(4);
    expect(shown(10_000)).toBe('e'.repeat(10_000));
    expect(shown(10_001)).toBe(`${'e'.repeat(9_999)}…`);
  });
});
