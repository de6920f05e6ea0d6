import { describe, expect, it } from 'vitest';
import { interpolateEnv } from '../../src/config/interpolate-env.ts';
import { parseConfig } from '../../src/config/load-config.ts';

/**
 * `status` and `alerts` read only Redis: they load the config with `unsetVariables: 'stand-in'`, so a shell without
 * the secrets can run them, while every other problem in the file is still reported.
 */

const STAND_IN = { unsetVariables: 'stand-in' } as const;

/** The README's config: every secret from the environment. */
const FILE = `
portable:
  token: \${PORTABLE_API_TOKEN}
  flowUrl: \${FLOW_URL}
notifiers:
  oncall: { type: slack, webhookUrl: "\${SLACK_WEBHOOK_URL}" }
  data-team: { type: email, to: ["\${TEAM_ADDRESS}"] }
email:
  smtpUrl: \${SMTP_URL}
  from: \${MAIL_FROM}
defaults:
  notify: [oncall, data-team]
  pollEvery: \${POLL_EVERY}
flows:
  - { id: 689422, name: Events to Snowflake }
  - { id: 17, name: "\${ORDERS_NAME}" }
`;

describe('interpolateEnv with unsetVariables: keep', () => {
  it('keeps an unset or empty reference as written and defers its problem; set ones and fallbacks are still used', () => {
    expect(interpolateEnv('https://${HOST}/${HOOK}/${EMPTY}/${PORT:-443}', { HOST: 'example.com', EMPTY: '' }, { unsetVariables: 'keep' })).toEqual({
      ok: true,
      value: 'https://example.com/${HOOK}/${EMPTY}/443',
      deferred: [
        'environment variable HOOK is not set (export it, or write ${HOOK:-fallback})',
        'environment variable EMPTY is empty (set it, or write ${EMPTY:-fallback})',
      ],
    });
  });

  it('still refuses a malformed reference', () => {
    expect(interpolateEnv('${not a name}', {}, { unsetVariables: 'keep' })).toMatchObject({ ok: false });
  });
});

describe('parseConfig with unsetVariables: stand-in', () => {
  it('loads a config whose secrets are all unset, keeping the flows, their names and the notifier names', () => {
    const result = parseConfig(FILE, {}, 'flows.yaml', STAND_IN);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.flows.map((flow) => [flow.id, flow.name, flow.notify])).toEqual([
      [689422, 'Events to Snowflake', ['oncall', 'data-team']],
      // A name from an unset variable shows as written, which tells the reader where it comes from.
      [17, '${ORDERS_NAME}', ['oncall', 'data-team']],
    ]);
    expect(Object.keys(result.config.notifiers)).toEqual(['oncall', 'data-team']);
  });

  it('uses the variables that are set', () => {
    const result = parseConfig(FILE, { ORDERS_NAME: 'Orders', POLL_EVERY: '5m' }, 'flows.yaml', STAND_IN);
    expect(result.ok && result.config.flows[1]).toMatchObject({ name: 'Orders', pollEvery: 5 * 60_000 });
  });

  it('is the option only: without it the same file is refused for each unset variable', () => {
    const result = parseConfig(FILE, {}, 'flows.yaml');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.filter((problem) => problem.includes('is not set'))).toHaveLength(8);
  });

  it('still reports YAML problems', () => {
    const result = parseConfig('portable:\n  token: ${PORTABLE_API_TOKEN}\nflows: [{ id: 1 }\n', {}, 'flows.yaml', STAND_IN);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('still reports shape problems', () => {
    const text = FILE.replace('- { id: 689422,', '- { id: 689422, maxRunTime: soon,').replace('pollEvery: ${POLL_EVERY}', 'pollEvery: ${POLL_EVERY}\n  backfill: forever');
    const result = parseConfig(text, {}, 'flows.yaml', STAND_IN);
    expect(result).toEqual({
      ok: false,
      problems: ['defaults.backfill: "forever" is not a duration (use 30s, 5m, 2h, 1d)', 'flows[0].maxRunTime: unknown key (did you mean "maxRuntime"?)'],
    });
  });

  it('loads the secrets of pagerduty, teams and webhook notifiers from unset variables', () => {
    const text = [
      'portable: { token: "${PORTABLE_API_TOKEN}" }',
      'notifiers:',
      '  pager: { type: pagerduty, routingKey: "${PAGERDUTY_ROUTING_KEY}", url: "${PAGERDUTY_URL}" }',
      '  channel: { type: teams, webhookUrl: "${TEAMS_WEBHOOK_URL}" }',
      '  bot: { type: webhook, url: "${BOT_URL}", secret: "${BOT_SECRET}", headers: { Authorization: "Bearer ${BOT_TOKEN}" }, timeout: "${BOT_TIMEOUT}" }',
      'defaults: { notify: [pager, channel, bot] }',
      'flows: [{ id: 1 }]',
    ].join('\n');
    const result = parseConfig(text, {}, 'flows.yaml', STAND_IN);
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && Object.keys(result.config.notifiers)).toEqual(['pager', 'channel', 'bot']);
  });

  it('reports an unset variable where the command needs the value: a flow id, a notify name', () => {
    const text = ['portable: { token: "${PORTABLE_API_TOKEN}" }', 'notifiers: { oncall: { type: console } }', 'flows:', '  - { id: "${FLOW_ID}", notify: ["${WHO}"] }'].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml', STAND_IN)).toEqual({
      ok: false,
      problems: [
        'flows[0].id: environment variable FLOW_ID is not set (export it, or write ${FLOW_ID:-fallback})',
        'flows[0].notify[0]: environment variable WHO is not set (export it, or write ${WHO:-fallback})',
      ],
    });
  });
});
