import { describe, expect, it } from 'vitest';
import { interpolateEnv } from '../../src/config/interpolate-env.ts';
import { parseConfig } from '../../src/config/load-config.ts';

describe('interpolateEnv', () => {
  it.each([
    ['no reference', {}, 'plain text', 'plain text'],
    ['a set variable', { TOKEN: 'abc' }, '${TOKEN}', 'abc'],
    ['a variable inside text', { HOST: 'example.com' }, 'https://${HOST}/hooks', 'https://example.com/hooks'],
    ['several variables', { A: '1', B: '2' }, '${A}-${B}', '1-2'],
    ['the fallback when unset', {}, '${URL:-http://localhost:3000}', 'http://localhost:3000'],
    ['the fallback when empty, like bash :-', { URL: '' }, '${URL:-http://localhost:3000}', 'http://localhost:3000'],
    ['the variable over its fallback', { URL: 'https://api' }, '${URL:-http://localhost:3000}', 'https://api'],
    ['an empty fallback', {}, 'a${SUFFIX:-}b', 'ab'],
    ['$${ as a literal ${', { HOME: '/root' }, 'cost $${HOME} and ${HOME}', 'cost ${HOME} and /root'],
    ['a lone $ as itself', {}, 'price: $5 $$', 'price: $5 $$'],
    ['a value with YAML syntax in it', { V: 'a: b # c' }, '${V}', 'a: b # c'],
  ])('replaces %s', (_name, env, template, expected) => {
    expect(interpolateEnv(template, env)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['an unset variable', {}, '${TOKEN}', 'environment variable TOKEN is not set (export it, or write ${TOKEN:-fallback})'],
    ['an empty variable', { TOKEN: '' }, '${TOKEN}', 'environment variable TOKEN is empty (set it, or write ${TOKEN:-fallback})'],
    ['a malformed reference', {}, '${not a name}', 'malformed reference in "${...}" (write ${NAME} or ${NAME:-fallback}, or $${ for a literal ${)'],
    ['a bash-only form', {}, '${TOKEN-x}', 'malformed reference in "${...}" (write ${NAME} or ${NAME:-fallback}, or $${ for a literal ${)'],
    ['an unclosed reference', {}, 'abc${TOKEN', '"${" is never closed by "}" (write ${NAME} or ${NAME:-fallback}, or $${ for a literal ${)'],
  ])('refuses %s', (_name, env, template, problem) => {
    expect(interpolateEnv(template, env)).toEqual({ ok: false, problems: [problem] });
  });

  it('reports every unset variable in one value', () => {
    expect(interpolateEnv('${A}:${B}', {})).toEqual({
      ok: false,
      problems: [
        'environment variable A is not set (export it, or write ${A:-fallback})',
        'environment variable B is not set (export it, or write ${B:-fallback})',
      ],
    });
  });
});

const FILE = `
portable:
  token: \${PORTABLE_API_TOKEN}
  apiUrl: \${PORTABLE_API_URL:-https://api.portable.io}
notifiers:
  oncall: { type: slack, webhookUrl: "\${SLACK_WEBHOOK_URL}", mention: "<!subteam^S0123ABC|$\${team}>" }
  data-team: { type: email, to: ["\${TEAM_ADDRESS:-data-team@example.com}"] }
email:
  smtpUrl: \${SMTP_URL}
  from: alerts@example.com
flows:
  - id: \${FLOW_ID:-689422}
    maxRuntime: \${MAX_RUNTIME:-30m}
    sendOnResolved: \${SEND_ON_RESOLVED:-false}
    notify: [oncall, data-team]
`;

describe('references in a config file', () => {
  it('are replaced inside values, so YAML syntax in a value is kept as text', () => {
    const env = {
      PORTABLE_API_TOKEN: 'tok: en # not a comment',
      PORTABLE_API_URL: '',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/x',
      SMTP_URL: 'smtps://user:p%40ss@mail.example.com:465',
      FLOW_ID: '12',
    };
    const result = parseConfig(FILE, env, 'flows.yaml');
    expect(result).toMatchObject({
      ok: true,
      config: {
        accounts: { default: { token: 'tok: en # not a comment', apiUrl: 'https://api.portable.io' } },
        notifiers: {
          oncall: { type: 'slack', webhookUrl: 'https://hooks.slack.test/services/x', mention: '<!subteam^S0123ABC|${team}>' },
          'data-team': { type: 'email', to: ['data-team@example.com'] },
        },
        email: { smtpUrl: 'smtps://user:p%40ss@mail.example.com:465' },
        // Whole numbers and booleans from the environment arrive as text and are still accepted.
        flows: [{ id: 12, maxRuntime: 30 * 60_000, sendOnResolved: false }],
      },
    });
  });

  it('name each unset variable with the path that uses it', () => {
    const result = parseConfig(FILE, {}, 'flows.yaml');
    expect(result).toEqual({
      ok: false,
      problems: [
        'portable.token: environment variable PORTABLE_API_TOKEN is not set (export it, or write ${PORTABLE_API_TOKEN:-fallback})',
        'notifiers.oncall.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set (export it, or write ${SLACK_WEBHOOK_URL:-fallback})',
        'email.smtpUrl: environment variable SMTP_URL is not set (export it, or write ${SMTP_URL:-fallback})',
      ],
    });
  });

  it('never print the value of a variable, nor of a secret key', () => {
    const env = {
      PORTABLE_API_TOKEN: 'SECRET-token-value',
      SLACK_WEBHOOK_URL: 'SECRET-webhook-value',
      SMTP_URL: 'http://user:SECRET-smtp-password@mail.example.com',
      TEAM_ADDRESS: 'SECRET-not-an-address',
      MAX_RUNTIME: 'SECRET-not-a-duration',
      FLOW_ID: 'SECRET-not-an-id',
    };
    const result = parseConfig(FILE, env, 'flows.yaml');
    expect(result).toEqual({
      ok: false,
      problems: [
        'notifiers.oncall.webhookUrl: is not an http(s) URL',
        'notifiers.data-team.to[0]: the value of "${TEAM_ADDRESS:-data-team@example.com}" is not an email address',
        'email.smtpUrl: is not an smtp:// or smtps:// URL',
        "flows[0].id: the value of \"${FLOW_ID:-689422}\" is not a flow id (a flow id is the positive whole number in the flow's Portable URL)",
        `flows[0].maxRuntime: the value of "\${MAX_RUNTIME:-30m}" is neither a duration nor auto (use 30s, 5m, 2h, 1d, or auto to learn it from the flow's own run times)`,
      ],
    });
    expect(JSON.stringify(result)).not.toContain('SECRET');
  });

  it('never print a secret written in the file, whatever is wrong with it', () => {
    const file = `
portable:
  token: [SECRET-in-a-list]
notifiers:
  oncall: { type: slack, webhookUrl: 42 }
  other: { type: slack, webhookUrl: "SECRET-webhook" }
email:
  smtpUrl: "smtp:SECRET-smtp"
  from: alerts@example.com
flows: [{ id: 1, notify: [oncall] }]
`;
    const result = parseConfig(file, {}, 'flows.yaml');
    expect(result).toEqual({
      ok: false,
      problems: [
        'portable.token: expected text, got a list',
        'notifiers.oncall.webhookUrl: expected text, got a number (put it in quotes)',
        'notifiers.other.webhookUrl: is not an http(s) URL',
        'email.smtpUrl: is not an smtp:// or smtps:// URL',
      ],
    });
    expect(JSON.stringify(result)).not.toContain('SECRET');
  });
});
