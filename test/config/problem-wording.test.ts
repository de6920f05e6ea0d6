import type * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { describeIssue, formatIssues, type ConfigIssue } from '../../src/config/describe-issue.ts';
import { parseConfig } from '../../src/config/load-config.ts';

/** How a wrong value is described: by what was found, quoted only when short and safe to print. */

const FLOW_ID_HELP = "a flow id is the positive whole number in the flow's Portable URL";
const DURATION_HELP = '(use 30s, 5m, 2h, 1d)';

/** A valid file up to `flows:`, then the flow lines given. */
const withFlows = (...flowLines: string[]) =>
  parseConfig(['portable: { token: t }', 'notifiers: { a: { type: console } }', 'defaults: { notify: [a] }', 'flows:', ...flowLines].join('\n'), {}, 'flows.yaml');

describe('a wrong value in a flow is described by what was found', () => {
  it.each([
    ['a key left empty', ['  - id: 1', '    name:'], 'flows[0].name: has no value (give it one, or remove the key)'],
    ['true or false where text belongs', ['  - { id: 1, name: true }'], 'flows[0].name: expected text, got a boolean (put it in quotes)'],
    ['a number where text belongs', ['  - { id: 1, name: 42 }'], 'flows[0].name: expected text, got a number (put it in quotes)'],
    ['a mapping where text belongs', ['  - { id: 1, name: { first: Events } }'], 'flows[0].name: expected text, got a mapping'],
    ['a number where true or false belongs', ['  - { id: 1, sendOnResolved: 5 }'], 'flows[0].sendOnResolved: expected true or false, got a number'],
    ['text ending in digits where true or false belongs', ['  - { id: 1, sendOnResolved: v2 }'], 'flows[0].sendOnResolved: expected true or false, got text'],
    ['text starting with digits where true or false belongs', ['  - { id: 1, sendOnResolved: 2nd }'], 'flows[0].sendOnResolved: expected true or false, got text'],
    ['a mapping where a list belongs', ['  - { id: 1, notify: { a: 1 } }'], 'flows[0].notify: expected a list, got a mapping'],
    ['a list where a duration belongs', ['  - { id: 1, pollEvery: [1m] }'], `flows[0].pollEvery: a list is not a duration ${DURATION_HELP}`],
    ['true where a duration belongs', ['  - { id: 1, learnFrom: true }'], `flows[0].learnFrom: true is not a duration ${DURATION_HELP}`],
    ['a mapping where a duration belongs', ['  - { id: 1, backfill: { hours: 1 } }'], `flows[0].backfill: a mapping is not a duration ${DURATION_HELP}`],
    ['an empty duration', ['  - id: 1', '    autoFallback:'], `flows[0].autoFallback: an empty value is not a duration ${DURATION_HELP}`],
    ['false where a flow id belongs', ['  - { id: false }'], `flows[0].id: false is not a flow id (${FLOW_ID_HELP})`],
    ['an empty list item', ['  -', '  - id: 2'], 'flows[0]: has no value (give it one, or remove the key)'],
  ])('%s', (_case, flowLines, problem) => {
    expect(withFlows(...flowLines)).toEqual({ ok: false, problems: [problem] });
  });

  it('quotes a value of up to 60 characters whole, and cuts a longer one to 57 and "..."', () => {
    const sixty = 'y'.repeat(60);
    expect(withFlows(`  - id: ${'x'.repeat(61)}`, `  - id: ${sixty}`)).toEqual({
      ok: false,
      problems: [`flows[0].id: "${'x'.repeat(57)}..." is not a flow id (${FLOW_ID_HELP})`, `flows[1].id: "${sixty}" is not a flow id (${FLOW_ID_HELP})`],
    });
  });
});

describe('a file or section of the wrong shape', () => {
  it.each([
    ['a file that is a single line of text', 'hello', '(top level): expected a mapping, got text'],
    ['a file that is a list', '- id: 1\n- id: 2', '(top level): expected a mapping, got a list'],
  ])('is refused once, at the top level: %s', (_case, text, problem) => {
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({ ok: false, problems: [problem] });
  });

  it('is refused once when a section is written as text, never as one unknown key per character', () => {
    const text = ['portable: t0k3n', 'notifiers: { a: { type: console } }', 'defaults: { notify: [a] }', 'flows: [{ id: 1 }]'].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({ ok: false, problems: ['portable: expected a mapping, got text'] });
  });

  it('is refused once when defaults: is not a mapping, without blaming the flows that rely on it', () => {
    const text = ['portable: { token: t }', 'notifiers: { a: { type: console } }', 'defaults: 1m', 'flows: [{ id: 1 }]'].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({ ok: false, problems: ['defaults: expected a mapping, got text'] });
  });
});

describe('a notifier of the wrong shape', () => {
  const withNotifier = (notifier: string) =>
    parseConfig(['portable: { token: t }', `notifiers: { oncall: ${notifier} }`, 'flows: [{ id: 1, notify: [oncall] }]'].join('\n'), {}, 'flows.yaml');

  it.each([
    ['written as text', 'slack', 'notifiers.oncall: expected a mapping, got text'],
    ['without a type', '{ webhookUrl: "https://hooks.slack.test/x" }', 'notifiers.oncall.type: is required (known types: slack, email, console, pagerduty, teams, webhook)'],
    ['with a mapping as its type', '{ type: { name: slack } }', 'notifiers.oncall.type: unknown notifier type a mapping (known types: slack, email, console, pagerduty, teams, webhook)'],
  ])('is refused, saying what is wrong: %s', (_case, notifier, problem) => {
    expect(withNotifier(notifier)).toEqual({ ok: false, problems: [problem] });
  });
});

describe('formatIssues', () => {
  const reading = { lines: new Map<string, number>(), templates: new Map<string, string>(), unresolved: new Set<string>() };
  const format = (issues: ConfigIssue[], data: unknown, unresolved: string[] = []) =>
    formatIssues(issues, data, { ...reading, unresolved: new Set(unresolved) }).map((problem) => problem.text);

  it('never shows the value of a credential, however deep it sits', () => {
    const data = { notifiers: { oncall: { type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/s3cr3t' } }, email: { smtpUrl: 'smtp://u:pw@mail' } };
    expect(
      format(
        [
          { path: ['notifiers', 'oncall', 'webhookUrl'], message: '{value} is refused' },
          { path: ['email', 'smtpUrl'], message: '{value} is refused' },
          { path: ['notifiers', 'oncall', 'type'], message: '{value} is shown' },
        ],
        data,
      ),
    ).toEqual(['notifiers.oncall.webhookUrl: the value is refused', 'email.smtpUrl: the value is refused', 'notifiers.oncall.type: "slack" is shown']);
  });

  it.each([
    ['a key that is missing', {}],
    ['a key under an empty section', { email: null }],
    ['a key under a section written as text', { email: 'alerts' }],
  ])('describes the value of %s as an empty value', (_case, data) => {
    expect(format([{ path: ['email', 0], message: '{value} is wrong' }], data)).toEqual(['email[0]: an empty value is wrong']);
  });

  it('drops problems at and under a path whose ${VAR} is unset, and only there', () => {
    const issues: ConfigIssue[] = [
      { path: ['flows', 1], message: 'is wrong' },
      { path: ['flows', 1, 'id'], message: 'is wrong' },
      { path: ['flows', 1, 'notify', 0], message: 'is wrong' },
      { path: ['flows', 10, 'id'], message: 'is wrong' },
      { path: ['flows', 0, 'id'], message: 'is wrong' },
      { path: ['defaults', 'notify', 0], message: 'is wrong' },
      { path: ['defaults', 'notifyAll'], message: 'is wrong' },
    ];
    expect(format(issues, {}, ['flows[1]', 'defaults.notify'])).toEqual(['flows[10].id: is wrong', 'flows[0].id: is wrong', 'defaults.notifyAll: is wrong']);
  });
});

describe('describeIssue', () => {
  const issue = (fields: Record<string, unknown>) => fields as unknown as z.core.$ZodRawIssue;

  it('says a required key the schema does not word itself is required', () => {
    expect(describeIssue(issue({ code: 'invalid_type', expected: 'string', input: undefined, path: [] }))).toBe('is required');
  });

  it('leaves every problem other than a wrong type to the wording of the schema', () => {
    expect(describeIssue(issue({ code: 'too_small', origin: 'array', minimum: 1, input: undefined, path: [] }))).toBeUndefined();
  });
});
