import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const FLOW_ID_HELP = "a flow id is the positive whole number in the flow's Portable URL";
const NAME_RULE = 'a notifier name may hold only letters (a-z, A-Z), digits, - and _';
const CRON_EXAMPLE = 'e.g. "0 6 * * *" for 06:00 every day, "*/15 * * * *" for every 15 minutes';

/** One fixture per way a config file can be refused, with every line the operator must see. */
const refusals: { fixture: string; problems: string[] }[] = [
  {
    fixture: 'syntax-error.yaml',
    problems: ['line 5, column 11: Nested mappings are not allowed in compact mappings (put a value that contains ": " in quotes)'],
  },
  {
    fixture: 'unquoted-reference.yaml',
    problems: [
      'line 4, column 39: Unexpected flow-map-start at node end (inside { } or [ ], put references in quotes: "${VAR}")',
      '(8 more YAML errors follow, often caused by the first; fix it and validate again)',
    ],
  },
  { fixture: 'duplicate-key.yaml', problems: ['flows[0].maxRuntime: duplicate key (also on line 5; keep one)'] },
  {
    fixture: 'unknown-key.yaml',
    problems: [
      'flows[0].maxRunTime: unknown key (did you mean "maxRuntime"?)',
      'flows[0].colour: unknown key (known keys here: id, name, account, pollEvery, maxRuntime, backfill, notify, sendOnResolved, detect, autoFallback, learnFrom, schedule, scheduleTimezone, missedAfter, partialTolerance, labels, repeatEvery, alertAfter)',
    ],
  },
  {
    fixture: 'wrong-type.yaml',
    problems: [
      'flows[0].sendOnResolved: expected true or false, got text',
      'flows[0].notify: expected a list, got text (write it as [a, b])',
    ],
  },
  { fixture: 'bad-duration.yaml', problems: [`flows[1].maxRuntime: "soon" is neither a duration nor auto (use 30s, 5m, 2h, 1d, or auto to learn it from the flow's own run times)`] },
  { fixture: 'poll-too-often.yaml', problems: ['defaults.pollEvery: must be at least 1s, got 0'] },
  { fixture: 'zero-max-runtime.yaml', problems: ['flows[0].maxRuntime: must be longer than 0, got 0'] },
  {
    fixture: 'bad-schedule.yaml',
    problems: [
      `flows[1].schedule: "0 25 * * *" is not a valid cron: the hour field "25": 25 is outside 0-23 (${CRON_EXAMPLE})`,
      'flows[2].schedule: "daily" is not a schedule (write a cron such as "0 6 * * *", a duration such as 1h for one run every hour, or none)',
    ],
  },
  {
    fixture: 'installation-wide-twice.yaml',
    problems: [
      'defaults.scheduleRefresh: "5m" differs from the top-level scheduleRefresh (both set one refresh of every schedule: keep one of them)',
      'defaults.scheduleTimezone: "UTC" differs from portable.scheduleTimezone (both set the time zone of every flow without its own: keep one of them)',
      'flows[0].scheduleRefresh: is installation-wide, not per flow (write it once at the top level of the file, or under defaults: or portable:)',
    ],
  },
  { fixture: 'duplicate-flow-ids.yaml', problems: ['flows[2].id: 689422 is also the id of flows[0] (list each flow once)'] },
  {
    fixture: 'bad-flow-id.yaml',
    problems: [`flows[0].id: is required (${FLOW_ID_HELP})`, `flows[1].id: -3 is not a flow id (${FLOW_ID_HELP})`],
  },
  {
    fixture: 'no-notifier.yaml',
    problems: [
      'flows[1]: its alerts would reach nobody; add notify: [...] here or under defaults (defined: oncall, data-team)',
      'flows[2]: its alerts would reach nobody; add notify: [...] here or under defaults (defined: oncall, data-team)',
    ],
  },
  {
    fixture: 'bad-notifier-name.yaml',
    problems: [
      `notifiers["team:oncall"]: ${NAME_RULE} (rename it, e.g. to "team-oncall", and in every notify list that names it)`,
      'notifiers["data team"].colour: unknown key (known keys here: type, burst, groupInterval)',
      `notifiers["data team"]: ${NAME_RULE} (rename it, e.g. to "data-team", and in every notify list that names it)`,
    ],
  },
  {
    fixture: 'bad-mention.yaml',
    problems: [
      'notifiers.oncall.mention: "@here please" is not a Slack mention (write <!here>, <!channel>, <!everyone>, a user as <@U012AB3CD>, ' +
        'a user group as <!subteam^S012AB3CD>, each optionally with a |label before the >; several separated by spaces)',
    ],
  },
  { fixture: 'unknown-notify.yaml', problems: ['flows[0].notify[1]: no notifier named "pager" (defined: oncall, data-team)'] },
  {
    fixture: 'email-without-section.yaml',
    problems: ['email: is required by the email notifier "data-team" (add email: with smtpUrl and from)'],
  },
  {
    fixture: 'invalid-address.yaml',
    problems: [
      'notifiers.data-team.to[1]: "data-team.example.com" is not an email address',
      'email.from: "Portable Watch <alerts at example.com>" is not an email address (write alerts@example.com or "Name <alerts@example.com>")',
    ],
  },
  {
    fixture: 'invalid-url.yaml',
    problems: ['portable.apiUrl: "ftp://api.portable.io" is not an http(s) URL', 'notifiers.oncall.webhookUrl: is not an http(s) URL'],
  },
  { fixture: 'invalid-smtp-url.yaml', problems: ['email.smtpUrl: is not an smtp:// or smtps:// URL'] },
  { fixture: 'flow-url-without-id.yaml', problems: ['portable.flowUrl: must contain {id} where the flow id goes'] },
  {
    fixture: 'unset-variable.yaml',
    problems: ['portable.token: environment variable PORTABLE_API_TOKEN is not set (export it, or write ${PORTABLE_API_TOKEN:-fallback})'],
  },
  {
    fixture: 'unknown-notifier-type.yaml',
    problems: ['notifiers.pager.type: unknown notifier type "opsgenie" (known types: slack, email, console, pagerduty, teams, webhook)'],
  },
  { fixture: 'empty-flows.yaml', problems: ['flows: is empty (list at least one flow to watch, or find them with discover: [{ include: "*" }])'] },
  { fixture: 'missing-token.yaml', problems: ['portable.token: is required (add token: ${PORTABLE_API_TOKEN})'] },
  { fixture: 'empty.yaml', problems: [`${fixture('empty.yaml')} is empty (start from config/flows.example.yaml)`] },
  {
    fixture: 'many-problems.yaml',
    problems: [
      'email: is required by the email notifier "data-team" (add email: with smtpUrl and from)',
      'portable.token: environment variable PORTABLE_API_TOKEN is not set (export it, or write ${PORTABLE_API_TOKEN:-fallback})',
      'portable.apiUrl: "api.portable.io" is not an http(s) URL',
      'defaults.pollEvery: must be at least 1s, got 0',
      'defaults.notifiy: unknown key (did you mean "notify"?)',
      'notifiers.oncall.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set (export it, or write ${SLACK_WEBHOOK_URL:-fallback})',
      'notifiers.data-team.to[0]: "nobody" is not an email address',
      `flows[0].maxRuntime: "soon" is neither a duration nor auto (use 30s, 5m, 2h, 1d, or auto to learn it from the flow's own run times)`,
      'flows[0].notify[1]: no notifier named "pager" (defined: oncall, data-team)',
      'flows[1].id: 689422 is also the id of flows[0] (list each flow once)',
      'flows[1]: its alerts would reach nobody; add notify: [...] here or under defaults (defined: oncall, data-team)',
      'flows[1].sendOnResolved: expected true or false, got text',
    ],
  },
];

describe('a config file is refused', () => {
  it.each(refusals)('$fixture', async ({ fixture: name, problems }) => {
    expect(await loadConfig(fixture(name), {})).toEqual({ ok: false, problems });
  });

  it('when it does not exist, saying how to point at the right one', async () => {
    const path = fixture('no-such-file.yaml');
    expect(await loadConfig(path, {})).toEqual({
      ok: false,
      problems: [`config file not found: ${path} (start from a copy of config/flows.example.yaml, or set --config or CONFIG_PATH)`],
    });
  });

  it('when the path is a directory', async () => {
    const path = fixture('');
    expect(await loadConfig(path, {})).toEqual({
      ok: false,
      problems: [`config file is a directory: ${path} (set --config or CONFIG_PATH to a file)`],
    });
  });
});
