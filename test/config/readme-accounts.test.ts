import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';

/**
 * The README's "Watching every flow" section is what people copy: each of its configs passes `validate` as written,
 * given the notifiers it names, so the documentation cannot drift from the schema.
 */

const README = new URL('../../README.md', import.meta.url);
const NOTIFIERS = 'notifiers: { data-team: { type: console }, staging-channel: { type: console }, pager: { type: console } }';

async function yamlBlocks(): Promise<string[]> {
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf('\n## Watching every flow');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

describe("the README's discovery and accounts configs", () => {
  it('validate as written', async () => {
    const blocks = await yamlBlocks();
    expect(blocks).toHaveLength(3);
    const env = { PORTABLE_API_TOKEN: 't', PORTABLE_PROD_TOKEN: 'p', PORTABLE_STAGING_TOKEN: 's' };
    for (const block of blocks) {
      // The `discover` command's example shows rules only: it is read with an account added.
      const account = /^(portable|accounts):/m.test(block) ? [] : ['portable: { token: t }'];
      const text = [NOTIFIERS, 'defaults: { notify: [data-team] }', ...account, block].join('\n');
      const result = parseConfig(text, env, 'README.md');
      expect(result.ok ? [] : result.problems).toEqual([]);
    }
  });
});

describe("the example config's discovery and accounts", () => {
  it('validate once uncommented', async () => {
    const text = await readFile(new URL('../../config/flows.example.yaml', import.meta.url), 'utf8');
    const start = text.indexOf('# accounts:');
    const end = text.indexOf('# The flows to watch.');
    expect(start).toBeGreaterThan(0);
    // The commented keys and the indented lines right under them, uncommented; the prose around them stays comments.
    const lines = text.slice(start, end).split('\n');
    let inKey = false;
    const uncommented = lines
      .map((line) => {
        if (/^# (accounts|discover|discoverEvery|discoverNotify):/.test(line)) inKey = true;
        else if (!/^# {3}/.test(line)) inKey = false;
        return inKey ? line.slice(2) : line;
      })
      .join('\n');
    const config = text.slice(0, start) + uncommented + text.slice(end).replace(/^( {2}- id: \d+)$/gm, '$1\n    account: default');
    const env = { PORTABLE_API_TOKEN: 't', PORTABLE_STAGING_TOKEN: 's', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', SMTP_URL: 'smtp://127.0.0.1:2525' };
    const result = parseConfig(config, env, 'flows.example.yaml');
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.accounts.staging?.token).toBe('s');
    expect(result.ok && result.config.discover.map((rule) => [rule.include, rule.exclude])).toEqual([
      [['Shopify*'], ['*test*']],
      [['*'], []],
    ]);
  });
});
