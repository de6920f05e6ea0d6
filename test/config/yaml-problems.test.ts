import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/** Problems found while reading the YAML itself, and the order every problem is listed in. */

const refused = (text: string, env: Record<string, string> = {}) => parseConfig(text, env, 'flows.yaml');

describe('a file that is not readable YAML', () => {
  it('with two documents says to remove the "---" line', () => {
    expect(refused('portable: { token: t }\n---\nflows: [{ id: 1 }]\n')).toEqual({
      ok: false,
      problems: ['line 2, column 1: the file holds more than one YAML document (remove the "---" line)'],
    });
  });

  it('with an unclosed quote gives the parser\'s words alone when no ${VAR} is involved', () => {
    expect(refused('portable:\n  token: "t0k3n\nflows: [{ id: 1 }]\n')).toEqual({ ok: false, problems: ['line 4, column 1: Missing closing "quote'] });
  });

  it('counts a single further error in the singular', () => {
    const text = 'portable:\n  token: t\n  apiUrl: https://api.portable.io\n    flowUrl: https://app.example/{id}\nflows: [{ id: 1 }]\n';
    expect(refused(text)).toEqual({
      ok: false,
      problems: [
        'line 3, column 11: Nested mappings are not allowed in compact mappings (put a value that contains ": " in quotes)',
        '(1 more YAML error follows, often caused by the first; fix it and validate again)',
      ],
    });
  });

  it('that expands aliases without end ("billion laughs") is refused before it is expanded', () => {
    const text = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(refused(text)).toEqual({
      ok: false,
      problems: ['cannot read the YAML: Excessive alias count indicates a resource exhaustion attack'],
    });
  });
});

describe('problems are listed in file order', () => {
  it('with a missing section first, and a missing key at the line of the mapping that lacks it', () => {
    const text = [
      'portable: { token: t, apiUrl: nope }',
      'defaults: { pollEvry: 1m, notify: [team] }',
      'notifiers:',
      '  team: { type: email, to: [team@example.com] }',
      'flows:',
      '  - { name: Events }',
    ].join('\n');
    expect(refused(text)).toEqual({
      ok: false,
      problems: [
        'email: is required by the email notifier "team" (add email: with smtpUrl and from)',
        'portable.apiUrl: "nope" is not an http(s) URL',
        'defaults.pollEvry: unknown key (did you mean "pollEvery"?)',
        "flows[0].id: is required (a flow id is the positive whole number in the flow's Portable URL)",
      ],
    });
  });

  it('placing a problem about a section at the line of its key, above the lines inside it', () => {
    const text = ['portable:', '  apiUrl: ${PORTABLE_API_URL}', 'notifiers: { a: { type: console } }', 'defaults: { notify: [a] }', 'flows: [{ id: 1 }]'].join('\n');
    expect(refused(text)).toEqual({
      ok: false,
      problems: [
        'portable.token: is required (add token: ${PORTABLE_API_TOKEN})',
        'portable.apiUrl: environment variable PORTABLE_API_URL is not set (export it, or write ${PORTABLE_API_URL:-fallback})',
      ],
    });
  });
});
