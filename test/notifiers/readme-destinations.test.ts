import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/**
 * The README's "Where alerts go" section is what people copy: its worked example must pass `validate` as written
 * (given flows with the labels it routes on), and the webhook body it prints must be the example the schema tests
 * check (schemas/webhook-v1.example.json), so the documentation cannot drift from what is sent.
 */

const README = new URL('../../README.md', import.meta.url);
const EXAMPLE = new URL('../../schemas/webhook-v1.example.json', import.meta.url);
const EXAMPLE_CONFIG = new URL('../../config/flows.example.yaml', import.meta.url);

/** The example config with the commented-out notifier `name` uncommented: its `# name:` line and the lines under it. */
function uncommented(config: string, name: string): string {
  const lines = config.split('\n');
  const start = lines.indexOf(`  # ${name}:`);
  expect(start).toBeGreaterThan(0);
  lines[start] = `  ${name}:`;
  for (let index = start + 1; index < lines.length && /^ {2}# {3}/.test(lines[index] ?? ''); index += 1) {
    lines[index] = (lines[index] ?? '').replace(/^ {2}# /, '  ');
  }
  return lines.join('\n');
}

async function section(heading: string): Promise<string> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(`\n## ${heading}`);
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end);
}

function fenced(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1] ?? '');
}

describe("the README's destinations", () => {
  it('the worked example validates, with flows carrying the labels it routes on', async () => {
    const [example] = fenced(await section('Where alerts go'), 'yaml');
    const flows = ['portable: { token: t }', example, 'flows:', '  - { id: 1, labels: { tier: critical, team: growth } }', '  - { id: 2 }'].join('\n');
    const env = {
      PAGERDUTY_ROUTING_KEY: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
      GROWTH_TEAMS_WEBHOOK_URL: 'https://prod-00.westus.logic.azure.com/workflows/x/invoke?sig=y',
      ALERT_WEBHOOK_URL: 'https://bot.example.com/alerts',
      ALERT_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      ALERT_WEBHOOK_TOKEN: 'token',
    };
    const result = parseConfig(flows, env, 'README.md');
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && Object.keys(result.config.notifiers)).toEqual(['pager', 'growth', 'bot']);
  });

  it('every notifier snippet of the section validates as written', async () => {
    const snippets = fenced(await section('Where alerts go'), 'yaml').slice(1);
    expect(snippets).toHaveLength(3);
    for (const snippet of snippets) {
      const name = /^ {2}([\w-]+):/m.exec(snippet)?.[1] ?? '';
      const text = ['portable: { token: t }', snippet, `defaults: { notify: [${name}] }`, 'flows: [{ id: 1 }]'].join('\n');
      const result = parseConfig(text, { PAGERDUTY_ROUTING_KEY: 'k', TEAMS_WEBHOOK_URL: 'https://t.example.com/x', ALERT_WEBHOOK_URL: 'https://h.example.com', ALERT_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ALERT_WEBHOOK_TOKEN: 't' }, 'README.md');
      expect(result.ok ? [] : result.problems).toEqual([]);
    }
  });

  it('the example config\'s commented-out pagerduty, teams and webhook notifiers validate once uncommented', async () => {
    let config = await readFile(EXAMPLE_CONFIG, 'utf8');
    for (const name of ['pager', 'teams-oncall', 'hooks']) config = uncommented(config, name);
    const env = {
      PORTABLE_API_TOKEN: 't',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      PAGERDUTY_ROUTING_KEY: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
      TEAMS_WEBHOOK_URL: 'https://prod-00.westus.logic.azure.com/workflows/x/invoke?sig=y',
      ALERT_WEBHOOK_URL: 'https://bot.example.com/alerts',
      ALERT_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      ALERT_WEBHOOK_TOKEN: 'token',
    };
    const result = parseConfig(config, env, 'flows.example.yaml');
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.notifiers).toMatchObject({
      pager: { type: 'pagerduty', url: 'https://events.eu.pagerduty.com/v2/enqueue' },
      'teams-oncall': { type: 'teams' },
      hooks: { type: 'webhook', timeout: 10_000, headers: { Authorization: 'Bearer token' } },
    });
  });

  it('prints the webhook example body the schema tests check', async () => {
    const [body] = fenced(await section('Where alerts go'), 'json');
    expect(JSON.parse(body ?? '')).toEqual(JSON.parse(await readFile(EXAMPLE, 'utf8')));
  });
});
