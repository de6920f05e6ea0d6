import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/**
 * The keys of issue 12 (labels, repeatEvery, alertAfter, routes, maintenance, burst and groupInterval): what each
 * becomes, where it may be written, and the exact words of each refusal with the path the operator must fix.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const KNOWN_KINDS = 'known kinds: failed, stalled, missed, partial, volume, unknown-outcome, monitor-error';
const NOBODY = 'its alerts would reach nobody; add notify: [...] here or under defaults (defined: a, b)';

interface Parts {
  defaults?: string;
  flows?: string[];
  /** Lines added at the top level (routes:, maintenance:, scheduleTimezone:). */
  top?: string[];
  /** Keys added to notifier `a` (a console), as flow-style text. */
  notifier?: string;
}

function config({ defaults = 'notify: [a]', flows = ['{ id: 1 }'], top = [], notifier }: Parts): string {
  return [
    'portable: { token: t }',
    `notifiers: { a: { type: console${notifier === undefined ? '' : `, ${notifier}`} }, b: { type: console } }`,
    `defaults: { ${defaults} }`,
    ...top,
    'flows:',
    ...flows.map((flow) => `  - ${flow}`),
  ].join('\n');
}

const parse = (parts: Parts) => parseConfig(config(parts), {}, 'flows.yaml');

function loaded(parts: Parts) {
  const result = parse(parts);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

const refused = (parts: Parts, ...problems: string[]) => expect(parse(parts)).toEqual({ ok: false, problems });

describe('labels', () => {
  it('lays a flow\'s labels over defaults.labels key by key, numbers and booleans taken as text', () => {
    const { flows } = loaded({
      defaults: 'notify: [a], labels: { team: data, tier: 2 }',
      flows: ['{ id: 1 }', '{ id: 2, labels: { tier: 1, critical: true, cost.center: " 42 " } }', '{ id: 3, labels: }'],
    });
    expect(flows.map((flow) => flow.labels)).toEqual([
      { team: 'data', tier: '2' },
      { team: 'data', tier: '1', critical: 'true', 'cost.center': '42' },
      { team: 'data', tier: '2' },
    ]);
  });

  it.each([
    ['{ severity: high }', 'flows[0].labels.severity: is reserved: routes match severity: on the alert\'s own severity, not on a label (choose another key, e.g. priority)'],
    ['{ account: main }', 'flows[0].labels.account: is reserved: with accounts:, every flow carries its Portable account as the label account (choose another key)'],
    ['{ "my team": x }', 'flows[0].labels["my team"]: a label key starts with a letter or _ and holds only letters, digits, _, . and - (rename it, e.g. to "my_team")'],
    ['{ 1tier: x }', 'flows[0].labels["1tier"]: a label key starts with a letter or _ and holds only letters, digits, _, . and - (rename it, e.g. to "tier")'],
    ['{ team: "" }', 'flows[0].labels.team: is empty (give the label a value, or remove it)'],
    ['{ team: [a] }', 'flows[0].labels.team: a list is not a label value (write text, e.g. team: growth)'],
    ['{ team: }', 'flows[0].labels.team: has no value (give it one, or remove the label)'],
    ['[team]', 'flows[0].labels: expected a mapping, got a list'],
  ])('refuses labels: %s', (labels, problem) => {
    refused({ flows: [`{ id: 1, labels: ${labels} }`] }, problem);
  });
});

describe('repeatEvery and alertAfter', () => {
  it('default to no reminders and alerting on the first failure', () => {
    expect(loaded({}).flows[0]).toMatchObject({ repeatEvery: null, alertAfter: 1 });
  });

  it.each([
    ['4h', 4 * HOUR],
    ['1m', MINUTE],
    ['1h30m', 90 * MINUTE],
    ['off', null],
    ['OFF', null],
    ['0', null],
    ['false', null],
  ])('repeatEvery: %s is %s, under defaults: and on a flow', (value, parsed) => {
    const { flows } = loaded({ defaults: `notify: [a], repeatEvery: ${value}`, flows: ['{ id: 1 }', `{ id: 2, repeatEvery: ${value} }`] });
    expect(flows.map((flow) => flow.repeatEvery)).toEqual([parsed, parsed]);
  });

  it('lets a flow turn off the reminders defaults: asks for', () => {
    const { flows } = loaded({ defaults: 'notify: [a], repeatEvery: 4h', flows: ['{ id: 1, repeatEvery: off }', '{ id: 2 }'] });
    expect(flows.map((flow) => flow.repeatEvery)).toEqual([null, 4 * HOUR]);
  });

  it.each([
    ['30s', 'flows[0].repeatEvery: must be at least 1m, got "30s" (or off for no reminders)'],
    ['often', 'flows[0].repeatEvery: "often" is neither a duration nor off (use 30s, 5m, 2h, 1d, e.g. 4h for a reminder every 4 hours, or off for none)'],
    ['[4h]', 'flows[0].repeatEvery: a list is neither a duration nor off (use 30s, 5m, 2h, 1d, e.g. 4h for a reminder every 4 hours, or off for none)'],
    ['true', 'flows[0].repeatEvery: true is neither a duration nor off (use 30s, 5m, 2h, 1d, e.g. 4h for a reminder every 4 hours, or off for none)'],
  ])('refuses repeatEvery: %s', (value, problem) => {
    refused({ flows: [`{ id: 1, repeatEvery: ${value} }`] }, problem);
  });

  it.each([
    ['3', 3],
    ['1', 1],
    ['100', 100],
    ['"7"', 7],
  ])('alertAfter: %s is %i', (value, parsed) => {
    expect(loaded({ defaults: `notify: [a], alertAfter: ${value}` }).flows[0]?.alertAfter).toBe(parsed);
    expect(loaded({ flows: [`{ id: 1, alertAfter: ${value} }`] }).flows[0]?.alertAfter).toBe(parsed);
  });

  it.each([
    ['0', 'must be from 1 to 100, got 0'],
    ['101', 'must be from 1 to 100, got 101'],
    ['2.5', '2.5 is not a whole number (e.g. alertAfter: 3 to alert on the third failed attempt in a row)'],
    ['three', '"three" is not a whole number (e.g. alertAfter: 3 to alert on the third failed attempt in a row)'],
  ])('refuses alertAfter: %s', (value, problem) => {
    refused({ flows: [`{ id: 1, alertAfter: ${value} }`] }, `flows[0].alertAfter: ${problem}`);
  });
});

describe('burst and groupInterval', () => {
  it('default to 5 messages within 1m on every notifier type', () => {
    const text = [
      'portable: { token: t }',
      'email: { smtpUrl: "smtp://mail.test", from: a@example.com }',
      'notifiers:',
      '  s: { type: slack, webhookUrl: "https://hooks.slack.test/x" }',
      '  e: { type: email, to: [a@example.com], burst: 10, groupInterval: 5m }',
      '  c: { type: console, burst: "2", groupInterval: 10s }',
      'flows: [{ id: 1, notify: [s, e, c] }]',
    ].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml')).toMatchObject({
      ok: true,
      config: {
        notifiers: {
          s: { burst: 5, groupInterval: MINUTE },
          e: { burst: 10, groupInterval: 5 * MINUTE },
          c: { burst: 2, groupInterval: 10_000 },
        },
      },
    });
  });

  it.each([
    ['burst: 0', 'notifiers.a.burst: must be from 1 to 10000, got 0'],
    ['burst: 10001', 'notifiers.a.burst: must be from 1 to 10000, got 10001'],
    ['burst: many', 'notifiers.a.burst: "many" is not a whole number (e.g. burst: 5)'],
    ['groupInterval: 5s', 'notifiers.a.groupInterval: must be from 10s to 1h, got "5s"'],
    ['groupInterval: 1h1s', 'notifiers.a.groupInterval: must be from 10s to 1h, got "1h1s"'],
    ['groupInterval: soon', 'notifiers.a.groupInterval: "soon" is not a duration (use 30s, 5m, 2h, 1d)'],
  ])('refuses %s', (setting, problem) => {
    refused({ notifier: setting }, problem);
  });
});

describe('routes', () => {
  it('become rules in file order: match values as lists of text, kinds in their usual order, continue false', () => {
    const { routes } = loaded({
      defaults: 'notify: [a], labels: { team: growth, tier: 1 }',
      top: [
        'routes:',
        '  - { match: { team: [growth, data], tier: 1 }, kinds: [stalled, failed, stalled], notify: [b, b], continue: true }',
        '  - { match: { severity: warning }, notify: [a], severity: info }',
        '  - { notify: [a] }',
      ],
    });
    expect(routes).toEqual([
      { match: { team: ['growth', 'data'], tier: ['1'] }, kinds: ['failed', 'stalled'], notify: ['b'], continue: true },
      { match: { severity: ['warning'] }, notify: ['a'], continue: false, severity: 'info' },
      { match: {}, notify: ['a'], continue: false },
    ]);
  });

  it('default to none, as does an empty routes: section', () => {
    expect(loaded({}).routes).toEqual([]);
    expect(loaded({ top: ['routes:'] }).routes).toEqual([]);
  });

  it.each([
    ['{ notify: [a], kinds: [stalld] }', `routes[0].kinds[0]: "stalld" is not a kind (did you mean "stalled"? ${KNOWN_KINDS})`],
    ['{ notify: [a], kinds: [] }', 'routes[0].kinds: is empty (list at least one of failed, stalled, missed, partial, volume, unknown-outcome, monitor-error, or leave kinds out for every kind)'],
    ['{ notify: [a], kinds: [recovered] }', `routes[0].kinds[0]: "recovered" is not a kind (${KNOWN_KINDS})`],
    ['{ match: { team: x } }', 'routes[0].notify: is required (name the notifiers this route sends to, e.g. notify: [oncall])'],
    ['{ notify: [] }', 'routes[0].notify: is empty (name at least one notifier, e.g. notify: [oncall])'],
    ['{ notify: [nobody] }', 'routes[0].notify[0]: no notifier named "nobody" (defined: a, b)'],
    ['{ notify: [a], severity: critcal }', 'routes[0].severity: "critcal" is not a severity (did you mean "critical"? known severities: critical, warning, info)'],
    ['{ notify: [a], match: { severity: urgent } }', 'routes[0].match.severity: "urgent" is not a severity (known severities: critical, warning, info)'],
    ['{ notify: [a], match: { team: [] } }', 'routes[0].match.team: is empty (list at least one value)'],
    ['{ notify: [a], match: { teem: growth } }', 'routes[0].match.teem: no flow has the label "teem" (did you mean "team"? labels in use: team)'],
    ['{ notify: [a], continue: maybe }', 'routes[0].continue: expected true or false, got text'],
    ['{ notify: [a], matches: { team: growth } }', 'routes[0].matches: unknown key (did you mean "match"?)'],
  ])('refuses %s', (route, problem) => {
    refused({ defaults: 'notify: [a], labels: { team: growth }', top: ['routes:', `  - ${route}`] }, problem);
  });

  it('says no flow has labels yet when a route matches on one', () => {
    refused({ top: ['routes: [{ match: { team: growth }, notify: [a] }]'] }, 'routes[0].match.team: no flow has the label "team" (no flow has labels yet: add labels: to the flows, or under defaults:)');
  });
});

describe('every flow notifies someone', () => {
  const routes = (...lines: string[]) => ['routes:', ...lines.map((line) => `  - ${line}`)];

  it('takes routes that cover every kind a flow can alert in place of its notify', () => {
    const parts = { defaults: '', flows: ['{ id: 1, labels: { team: growth } }'], top: routes('{ match: { team: growth }, notify: [b] }') };
    expect(loaded(parts).flows[0]).toMatchObject({ notify: [], notifySource: 'defaults' });
  });

  it('counts only the kinds the flow detects, and monitor errors', () => {
    const parts = {
      defaults: '',
      flows: ['{ id: 1, detect: [failed] }'],
      top: routes('{ kinds: [failed], notify: [a] }', '{ match: { severity: warning }, notify: [b] }'),
    };
    expect(parse(parts).ok).toBe(true);
  });

  it.each([
    [{ defaults: '' }, `flows[0]: ${NOBODY}`],
    [{ defaults: 'notify: [a]', flows: ['{ id: 1, notify: [] }'] }, `flows[0]: ${NOBODY}`],
    [{ defaults: '', top: routes('{ match: { team: data }, notify: [a] }'), flows: ['{ id: 1, labels: { team: growth } }'] }, `flows[0]: ${NOBODY}`],
    [
      { defaults: '', top: routes('{ kinds: [failed, partial], notify: [a] }') },
      'flows[0]: its stalled, missed, volume, unknown-outcome and monitor-error alerts would reach nobody: no route matches them and it has no notify (add notify: or a route)',
    ],
    [
      { defaults: 'detect: [failed, missed]', top: routes('{ match: { severity: critical }, kinds: [failed, monitor-error], notify: [a] }') },
      'flows[0]: its missed and monitor-error alerts would reach nobody: no route matches them and it has no notify (add notify: or a route)',
    ],
    [
      { defaults: 'detect: [failed]', top: routes('{ kinds: [failed], notify: [a] }') },
      'flows[0]: its monitor-error alerts would reach nobody: no route matches them and it has no notify (add notify: or a route)',
    ],
  ])('refuses %j', (parts, problem) => {
    refused(parts, problem);
  });
});

describe('maintenance windows', () => {
  const window = (body: string, extra: string[] = []) => ({
    defaults: 'notify: [a], labels: { warehouse: snowflake }',
    flows: ['{ id: 1 }', '{ id: 2 }'],
    top: ['maintenance:', `  - ${body}`, ...extra.map((line) => `  - ${line}`)],
  });

  it('become windows with their time zone filled in from the installation\'s', () => {
    const { maintenance } = loaded({
      ...window('{ name: upgrade, cron: "0  2 * * 0", duration: 2h, flows: { labels: { warehouse: snowflake }, ids: [2, 2] } }', [
        '{ name: paris, cron: "0 3 * * *", duration: 30m, timezone: Europe/Paris }',
      ]),
      defaults: 'notify: [a], labels: { warehouse: snowflake }, scheduleTimezone: America/New_York',
    });
    expect(maintenance).toEqual([
      { name: 'upgrade', cron: '0 2 * * 0', durationMs: 2 * HOUR, timezone: 'America/New_York', flows: { labels: { warehouse: 'snowflake' }, ids: [2] } },
      { name: 'paris', cron: '0 3 * * *', durationMs: 30 * MINUTE, timezone: 'Europe/Paris' },
    ]);
    expect(loaded(window('{ name: w, cron: "@weekly", duration: 1h }')).maintenance[0]?.timezone).toBe('UTC');
    expect(loaded({}).maintenance).toEqual([]);
  });

  it.each([
    ['{ name: w, cron: "0 25 * * *", duration: 1h }', 'maintenance[0].cron: "0 25 * * *" is not a valid cron: the hour field "25": 25 is outside 0-23 (e.g. "0 2 * * 0" for Sundays at 02:00)'],
    ['{ name: w, cron: "0 2 * *", duration: 1h }', 'maintenance[0].cron: "0 2 * *" is not a valid cron: it has 4 fields, a cron has 5 (minute hour day-of-month month day-of-week) or 6 (second first) (e.g. "0 2 * * 0" for Sundays at 02:00)'],
    ['{ name: w, cron: "0 2 * * 0", duration: 0 }', 'maintenance[0].duration: must be longer than 0, got 0'],
    ['{ name: w, cron: "0 2 * * 0", duration: 8d }', 'maintenance[0].duration: must be at most 7d, got "8d" (a window longer than a week never closes)'],
    ['{ name: w, cron: "0 2 * * 0", duration: 1h, timezone: Mars/Olympus }', 'maintenance[0].timezone: "Mars/Olympus" is not a time zone (write an IANA name such as Europe/Paris, or UTC)'],
    ['{ cron: "0 2 * * 0", duration: 1h }', 'maintenance[0].name: is required'],
    ['{ name: w, cron: "0 2 * * 0", duration: 1h, flows: {} }', 'maintenance[0].flows: names no flow (give labels:, ids: or both, or leave flows: out to hold every flow)'],
    ['{ name: w, cron: "0 2 * * 0", duration: 1h, flows: { ids: [3] } }', 'maintenance[0].flows.ids[0]: 3 is not the id of a flow under flows: (list the flow there, or remove the id)'],
    ['{ name: w, cron: "0 2 * * 0", duration: 1h, flows: { labels: { warehous: snowflake } } }', 'maintenance[0].flows.labels.warehous: no flow has the label "warehous" (did you mean "warehouse"? labels in use: warehouse)'],
    ['{ name: w, cron: "0 2 * * 0", duration: 1h, flow: { ids: [1] } }', 'maintenance[0].flow: unknown key (did you mean "flows"?)'],
  ])('refuses %s', (body, problem) => {
    refused(window(body), problem);
  });

  it('refuses a name given twice, naming the first', () => {
    const body = '{ name: upgrade, cron: "0 2 * * 0", duration: 1h }';
    refused(window(body, ['{ name: other, cron: "0 2 * * 1", duration: 1h }', body]), 'maintenance[2].name: "upgrade" is also the name of maintenance[0] (give each window its own name)');
  });
});

describe('routes: or maintenance: written inside a flow or defaults:', () => {
  it.each([
    [{ flows: ['{ id: 1, routes: [] }'] }, 'flows[0].routes: goes at the top level of the file, beside flows: (a route picks its flows with match:)'],
    [{ defaults: 'notify: [a], maintenance: []' }, 'defaults.maintenance: goes at the top level of the file, beside flows: (a window picks its flows with flows: { labels, ids })'],
  ])('is refused saying where it goes: %j', (parts, problem) => {
    refused(parts, problem);
  });
});
