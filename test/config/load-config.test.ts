import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { renderFlowUrl } from '../../src/config/config-schema.ts';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';

const EXAMPLE = fileURLToPath(new URL('../../config/flows.example.yaml', import.meta.url));
const MINIMAL = fileURLToPath(new URL('./fixtures/minimal.yaml', import.meta.url));

const BUILT_IN_DEFAULTS = {
  account: 'default',
  pollEvery: 60_000,
  maxRuntime: 2 * 60 * 60_000,
  backfill: 24 * 60 * 60_000,
  notify: [],
  sendOnResolved: true,
  detect: ['failed', 'stalled', 'missed', 'partial', 'volume', 'unknown-outcome'],
  autoFallback: 2 * 60 * 60_000,
  learnFrom: 30 * 24 * 60 * 60_000,
  scheduleTimezone: 'UTC',
  partialTolerance: 0,
  labels: {},
  repeatEvery: null,
  alertAfter: 1,
  notifySource: 'flow',
};
/** What every notifier gets for the keys it leaves out: 5 messages within 1m, then digests. */
const PACE = { burst: 5, groupInterval: 60_000 };
/** Installation-wide: how often Portable's schedules are re-read. */
const SCHEDULE_REFRESH = 10 * 60_000;

describe('a valid config file', () => {
  it('gets the built-in defaults for everything it leaves out', async () => {
    expect(await loadConfig(MINIMAL, {})).toEqual({
      ok: true,
      config: {
        accounts: { default: { token: 'test-token', apiUrl: 'https://api.portable.io' } },
        discover: [],
        discoverEvery: 300000,
        discoverNotify: [],
        notifiers: { terminal: { type: 'console', ...PACE } },
        routes: [],
        maintenance: [],
        scheduleRefresh: SCHEDULE_REFRESH,
        flows: [{ id: 689422, ...BUILT_IN_DEFAULTS, notify: ['terminal'] }],
      },
    });
  });

  it('fills each flow from defaults: where the flow does not set a key itself', () => {
    const text = `
portable: { token: t, apiUrl: "http://127.0.0.1:4010/", flowUrl: "https://app.example/flows/{id}/runs" }
defaults: { pollEvery: 30s, maxRuntime: 1h30m, notify: [oncall] }
notifiers:
  oncall: { type: slack, webhookUrl: "https://hooks.slack.test/x", mention: "<!here>" }
  terminal: { type: console }
flows:
  - { id: 1, name: "  Events to Snowflake  " }
  - { id: 2, pollEvery: 5m, backfill: 0, notify: [terminal, terminal], sendOnResolved: false }
`;
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({
      ok: true,
      config: {
        // No trailing slash, so clients can append paths without doubling it.
        accounts: { default: { token: 't', apiUrl: 'http://127.0.0.1:4010', flowUrl: 'https://app.example/flows/{id}/runs' } },
        discover: [],
        discoverEvery: 300000,
        discoverNotify: [],
        notifiers: {
          oncall: { type: 'slack', webhookUrl: 'https://hooks.slack.test/x', mention: '<!here>', ...PACE },
          terminal: { type: 'console', ...PACE },
        },
        routes: [],
        maintenance: [],
        scheduleRefresh: SCHEDULE_REFRESH,
        flows: [
          { ...BUILT_IN_DEFAULTS, id: 1, name: 'Events to Snowflake', pollEvery: 30_000, maxRuntime: 90 * 60_000, notify: ['oncall'], notifySource: 'defaults' },
          { ...BUILT_IN_DEFAULTS, id: 2, pollEvery: 300_000, maxRuntime: 90 * 60_000, backfill: 0, notify: ['terminal'], sendOnResolved: false },
        ],
      },
    });
  });

  it('treats a section whose keys are all commented out as absent', () => {
    const text = 'portable:\n  token: t\ndefaults:\n  # pollEvery: 5m\nnotifiers:\n  terminal: { type: console }\nemail:\nflows:\n  - { id: 1, notify: [terminal] }\n';
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({
      ok: true,
      config: {
        accounts: { default: { token: 't', apiUrl: 'https://api.portable.io' } },
        discover: [],
        discoverEvery: 300000,
        discoverNotify: [],
        notifiers: { terminal: { type: 'console', ...PACE } },
        routes: [],
        maintenance: [],
        scheduleRefresh: SCHEDULE_REFRESH,
        flows: [{ id: 1, ...BUILT_IN_DEFAULTS, notify: ['terminal'] }],
      },
    });
    // An empty notifiers: section is no notifier at all, which leaves the flow's alerts nowhere to go.
    const noNotifiers = 'portable:\n  token: t\nnotifiers:\n  # oncall: { type: console }\nflows:\n  - id: 1\n';
    expect(parseConfig(noNotifiers, {}, 'flows.yaml')).toEqual({
      ok: false,
      problems: ['flows[0]: its alerts would reach nobody; add notify: [...] here or under defaults (none are defined yet: add one under notifiers:)'],
    });
  });

  it.each([
    'alerts@example.com',
    'Portable Watch <alerts@example.com>',
    '"Watch, Portable" <alerts@example.com>',
    '<alerts@example.com>',
    ' alerts@example.com ',
    'Portable Watch <alerts@example.com> ',
  ])(
    'accepts %j as the sender',
    (from) => {
      const text = [
        'portable: { token: t }',
        'notifiers: { team: { type: email, to: [team@example.com] } }',
        `email: { smtpUrl: "smtps://u:p@mail.example.com:465", from: ${JSON.stringify(from)} }`,
        'flows: [{ id: 1, notify: [team] }]',
      ].join('\n');
      expect(parseConfig(text, {}, 'flows.yaml')).toMatchObject({ ok: true, config: { email: { from } } });
    },
  );
});

describe('values at the edge of what is accepted', () => {
  const base = ['portable: { token: t }', 'notifiers: { a: { type: console } }', 'defaults: { notify: [a] }'];

  it('takes a poll interval of exactly 1s', () => {
    expect(parseConfig([...base, 'flows: [{ id: 1, pollEvery: 1s }]'].join('\n'), {}, 'flows.yaml')).toMatchObject({
      ok: true,
      config: { flows: [{ pollEvery: 1_000 }] },
    });
  });

  it('drops every trailing slash of the API URL', () => {
    const text = ['portable: { token: t, apiUrl: "http://127.0.0.1:4010//" }', ...base.slice(1), 'flows: [{ id: 1 }]'].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml')).toMatchObject({ ok: true, config: { accounts: { default: { apiUrl: 'http://127.0.0.1:4010' } } } });
  });

  it('reads a flow id and true from the environment, forgiving the newline a variable set from a file ends with', () => {
    const text = [...base.slice(0, 2), 'defaults: { notify: [a], sendOnResolved: false }', 'flows: [{ id: "${FLOW_ID}", sendOnResolved: "${SEND_ON_RESOLVED}" }]'].join('\n');
    expect(parseConfig(text, { FLOW_ID: '689422\n', SEND_ON_RESOLVED: 'true' }, 'flows.yaml')).toMatchObject({
      ok: true,
      config: { flows: [{ id: 689422, sendOnResolved: true }] },
    });
  });

  it.each(['Ops <team> <alerts@example.com>', 'Portable Watch <alerts@example.com> (alerts)'])('refuses %j as the sender', (from) => {
    const text = [
      'portable: { token: t }',
      'notifiers: { team: { type: email, to: [team@example.com] } }',
      `email: { smtpUrl: "smtp://mail.example.com", from: ${JSON.stringify(from)} }`,
      'flows: [{ id: 1, notify: [team] }]',
    ].join('\n');
    expect(parseConfig(text, {}, 'flows.yaml')).toEqual({
      ok: false,
      problems: [`email.from: ${JSON.stringify(from)} is not an email address (write alerts@example.com or "Name <alerts@example.com>")`],
    });
  });
});

describe('a config file that cannot be read', () => {
  it('says why, in the words of the system, when its path runs through a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pw-config-'));
    try {
      await writeFile(join(dir, 'flows.yaml'), 'flows: []');
      const path = join(dir, 'flows.yaml', 'flows.yaml');
      expect(await loadConfig(path, {})).toEqual({
        ok: false,
        problems: [`config file cannot be read: ${path} (ENOTDIR: not a directory, open '${path}')`],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // A write-only sysctl: unreadable even for root, which the suite runs as in containers (a chmod 000 file is not).
  const WRITE_ONLY = '/proc/sys/vm/compact_memory';

  it.runIf(existsSync(WRITE_ONLY))('says permission is denied when it may not be read', async () => {
    expect(await loadConfig(WRITE_ONLY, {})).toEqual({
      ok: false,
      problems: [`config file cannot be read: ${WRITE_ONLY} (permission denied)`],
    });
  });
});

describe('renderFlowUrl', () => {
  it('puts the flow id wherever the template says {id}', () => {
    expect(renderFlowUrl('https://app.example/flows/{id}?tab=runs&flow={id}', 689422)).toBe(
      'https://app.example/flows/689422?tab=runs&flow=689422',
    );
  });
});

describe('config/flows.example.yaml', () => {
  const SECRETS = { PORTABLE_API_TOKEN: 'real-token', SLACK_WEBHOOK_URL: 'https://hooks.slack.test/real', SMTP_URL: 'smtps://mail.example.com' };

  // A template, not a trap: no fallback makes it look ready when a secret is missing (validate names each).
  it('needs its three secrets from the environment, and falls back to nothing else', async () => {
    expect(await loadConfig(EXAMPLE, {})).toEqual({
      ok: false,
      problems: [
        'portable.token: environment variable PORTABLE_API_TOKEN is not set (export it, or write ${PORTABLE_API_TOKEN:-fallback})',
        'notifiers.oncall.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set (export it, or write ${SLACK_WEBHOOK_URL:-fallback})',
        'email.smtpUrl: environment variable SMTP_URL is not set (export it, or write ${SMTP_URL:-fallback})',
      ],
    });
    const result = await loadConfig(EXAMPLE, SECRETS);
    expect(result).toMatchObject({
      ok: true,
      config: {
        accounts: { default: { apiUrl: 'https://api.portable.io' } },
        notifiers: {
          oncall: { type: 'slack', mention: '<!here>' },
          'data-team': { type: 'email', to: ['data-team@example.com'] },
        },
        email: { from: 'Portable Watch <alerts@example.com>' },
      },
    });
    expect(result.ok && result.config.accounts.default?.flowUrl).toBeUndefined();
    expect(result.ok && result.config.flows.map((flow) => flow.id)).toEqual([689422, 689423, 689424, 689425, 689426]);
  });

  it('takes the secrets from the environment when they are set', async () => {
    expect(await loadConfig(EXAMPLE, SECRETS)).toMatchObject({
      ok: true,
      config: {
        accounts: { default: { token: 'real-token' } },
        notifiers: { oncall: { webhookUrl: 'https://hooks.slack.test/real' } },
        email: { smtpUrl: 'smtps://mail.example.com' },
      },
    });
  });

  // The promise: the example learns run times (maxRuntime: auto) while the built-in default stays 2h.
  it('documents the built-in defaults: leaving out its defaults: section changes only maxRuntime: auto back to 2h', async () => {
    const document = parseDocument(await readFile(EXAMPLE, 'utf8'));
    expect(document.delete('defaults')).toBe(true);
    const withoutDefaults = parseConfig(String(document), SECRETS, 'example without defaults');
    const example = await loadConfig(EXAMPLE, SECRETS);
    expect(example.ok && example.config.flows[1]?.maxRuntime).toBe('auto');
    expect(withoutDefaults.ok && withoutDefaults.config.flows[1]).toEqual({
      id: 689423,
      name: 'Salesforce to BigQuery',
      ...BUILT_IN_DEFAULTS,
      labels: { tier: 'critical' },
      notify: ['oncall'],
    });
    const autoBackTo2h = (result: typeof example) =>
      result.ok ? { ...result.config, flows: result.config.flows.map((flow) => ({ ...flow, maxRuntime: flow.maxRuntime === 'auto' ? 2 * 60 * 60_000 : flow.maxRuntime })) } : result;
    expect(autoBackTo2h(withoutDefaults)).toEqual(autoBackTo2h(example));
    expect(example.ok && example.config.scheduleRefresh).toBe(SCHEDULE_REFRESH);
  });

  it('states beside each default the value it sets, but for maxRuntime, which it sets to auto', async () => {
    const lines = (await readFile(EXAMPLE, 'utf8')).split('\n');
    // notifySource is no key of the file (it says where a flow's notify came from), and account is no default.
    const written = [...Object.keys(BUILT_IN_DEFAULTS).filter((key) => key !== 'notifySource' && key !== 'account'), 'scheduleRefresh'];
    const keys = written.join('|');
    const settings = lines.flatMap((line, index) => {
      const match = new RegExp(`^ {2}(${keys}): (.+)$`).exec(line);
      return match === null ? [] : [{ key: match[1], value: match[2], comment: lines[index - 1] ?? '' }];
    });
    expect(settings.map((setting) => setting.key).sort()).toEqual(written.sort());
    for (const { key, value, comment } of settings) expect(comment).toContain(`Default: ${key === 'maxRuntime' ? '2h' : value}`);
    expect(settings.find((setting) => setting.key === 'maxRuntime')?.value).toBe('auto');
  });

  it('shows each of the three forms of schedule, and missedAfter, commented out so that Portable\'s schedules apply', async () => {
    const text = await readFile(EXAMPLE, 'utf8');
    for (const form of ['"0 6 * * *"', '1h', 'none']) expect(text).toMatch(new RegExp(`^ {2}# schedule: ${form.replaceAll('*', '\\*')} +# `, 'm'));
    expect(text).toMatch(/^ {2}# missedAfter: \S+$/m);
    const result = await loadConfig(EXAMPLE, SECRETS);
    expect(result.ok && result.config.flows.map((flow) => [flow.schedule, flow.missedAfter])).toEqual(Array.from({ length: 5 }, () => [undefined, undefined]));
  });
});
