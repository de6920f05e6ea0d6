import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';
import { runCli } from '../support/run-cli.ts';

/**
 * `portable-watch discover` as an operator runs it: a real process, a real config file, and the simulator standing in
 * for Portable, one instance per account. It lists each account's flows once and says, per flow, whether the worker
 * would watch it and why; an account that cannot be listed is reported without its token, and the others still are.
 */

const PROD_TOKEN = 'prod-token-5e3cr3t';
const STAGING_TOKEN = 'staging-token-0th3r';
const TOKENS = { PORTABLE_PROD_TOKEN: PROD_TOKEN, PORTABLE_STAGING_TOKEN: STAGING_TOKEN };

let directory: string;
let prod: PortableSimulator;
let staging: PortableSimulator;
let prodUrl: string;
let stagingUrl: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pw-discover-'));
  prod = createPortableSimulator({ token: PROD_TOKEN });
  staging = createPortableSimulator({ token: STAGING_TOKEN });
  [prodUrl, stagingUrl] = await Promise.all([prod.listen(), staging.listen()]);
  prod.addFlow({ id: 12, displayName: 'Shopify orders' });
  prod.addFlow({ id: 13, displayName: 'Shopify test store' });
  prod.addFlow({ id: 14, displayName: 'Stripe charges' });
  prod.addFlow({ id: 20, displayName: 'events_to_snowflake' });
  prod.addFlow({ id: 30, displayName: 'HubSpot contacts' });
  prod.addFlow({ id: 40, displayName: 'Legacy export' });
  staging.addFlow({ id: 12, displayName: 'Shopify orders' });
  staging.addFlow({ id: 7, displayName: 'Old sync' });
});

afterEach(() => {
  prod.clearFaults();
  staging.clearFaults();
  prod.resetCounters();
  staging.resetCounters();
});

afterAll(async () => {
  await Promise.all([prod.close(), staging.close()]);
  await rm(directory, { recursive: true, force: true });
});

const HEAD = ['notifiers: { log: { type: console } }', 'defaults: { notify: [log] }'];

/** One account, under portable:, the prod simulator. */
function oneAccountYaml(): string {
  return [
    'portable:',
    '  token: ${PORTABLE_PROD_TOKEN}',
    `  apiUrl: ${prodUrl}`,
    ...HEAD,
    'discover:',
    '  - { include: "Shopify*", exclude: "*test*" }',
    '  - { include: ["stripe*", "*STORE"], ids: [40] }',
    'flows:',
    '  - { id: 20, name: Events to Snowflake }',
    '  - { id: 99 }',
  ].join('\n');
}

function twoAccountsYaml(): string {
  return [
    'accounts:',
    `  prod: { token: "\${PORTABLE_PROD_TOKEN}", apiUrl: "${prodUrl}" }`,
    `  staging: { token: "\${PORTABLE_STAGING_TOKEN}", apiUrl: "${stagingUrl}" }`,
    ...HEAD,
    'discover:',
    '  - { account: staging, include: "*" }',
    '  - { account: prod, include: "Shopify*", exclude: "*test*" }',
    'flows:',
    '  - { id: 7, account: staging }',
  ].join('\n');
}

let files = 0;
async function configFile(yaml: string): Promise<string> {
  files += 1;
  const path = join(directory, `flows-${files}.yaml`);
  await writeFile(path, yaml);
  return path;
}

async function discover(yaml: string, ...args: string[]) {
  return runCli(['discover', '--config', await configFile(yaml), ...args], TOKENS);
}

const lines = (...text: string[]) => `${text.join('\n')}\n`;

describe('portable-watch discover', () => {
  it('shows which flows the rules watch, which flows: lists and what is left out, with one request', async () => {
    const run = await discover(oneAccountYaml());
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      lines(
        'default: 6 flows in Portable',
        '  ID  NAME                 WATCHED  WHY',
        '  12  Shopify orders       yes      rule 0 (include "Shopify*")',
        '  13  Shopify test store   yes      rule 1 (include "stripe*", "*STORE"; ids 40)',
        '  14  Stripe charges       yes      rule 1 (include "stripe*", "*STORE"; ids 40)',
        '  40  Legacy export        yes      rule 1 (include "stripe*", "*STORE"; ids 40)',
        '  20  Events to Snowflake  yes      listed under flows:',
        "  99  Flow 99              yes      listed under flows:, but not in Portable's list",
        '  30  HubSpot contacts     no       no rule includes it',
        '',
        '4 flows watched by discover: rules, 2 listed under flows:, 1 left out',
      ),
    );
    expect(run.code).toBe(0);
    expect(prod.requestLog().map((request) => `${request.method} ${request.url} ${request.status}`)).toEqual(['GET /v2/flows 200']);
  });

  it('prints the same as JSON with --json', async () => {
    const before = Date.now();
    const run = await discover(oneAccountYaml(), '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { generatedAt, ...printed } = JSON.parse(run.stdout) as { generatedAt: string };
    expect(Date.parse(generatedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(generatedAt)).toBeLessThanOrEqual(Date.now());
    expect(generatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(printed).toEqual({
      accounts: [
        {
          name: 'default',
          error: null,
          watched: [
            { id: 12, name: 'Shopify orders', rule: 0 },
            { id: 13, name: 'Shopify test store', rule: 1 },
            { id: 14, name: 'Stripe charges', rule: 1 },
            { id: 40, name: 'Legacy export', rule: 1 },
          ],
          listed: [
            { id: 20, name: 'Events to Snowflake', inPortable: true },
            { id: 99, name: 'Flow 99', inPortable: false },
          ],
          leftOut: [{ id: 30, name: 'HubSpot contacts', reason: 'no rule includes it' }],
        },
      ],
    });
  });

  it("lists each account with its own token and applies each rule to its own account's flows only", async () => {
    const run = await discover(twoAccountsYaml());
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      lines(
        'prod: 6 flows in Portable',
        '  ID  NAME                 WATCHED  WHY',
        '  12  Shopify orders       yes      rule 1 (include "Shopify*")',
        '  13  Shopify test store   no       excluded by rule 1',
        '  14  Stripe charges       no       no rule includes it',
        '  20  events_to_snowflake  no       no rule includes it',
        '  30  HubSpot contacts     no       no rule includes it',
        '  40  Legacy export        no       no rule includes it',
        '',
        'staging: 2 flows in Portable',
        '  ID  NAME            WATCHED  WHY',
        '  12  Shopify orders  yes      rule 0 (include "*")',
        '   7  Old sync        yes      listed under flows:',
        '',
        '2 flows watched by discover: rules, 1 listed under flows:, 5 left out',
      ),
    );
    expect(run.code).toBe(0);
    // Each simulator knows only its own token: a 401 would have shown as an error above.
    expect(prod.requestLog().map((request) => `${request.url} ${request.status}`)).toEqual(['/v2/flows 200']);
    expect(staging.requestLog().map((request) => `${request.url} ${request.status}`)).toEqual(['/v2/flows 200']);
  });

  it('reports an account Portable cannot list, without its token, still shows the others, and exits 1', async () => {
    staging.injectFault({ kind: 'status', status: 503 }, { endpoint: 'flows' });
    const run = await discover(twoAccountsYaml());
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(lines('  40  Legacy export        no       no rule includes it', '', 'staging: could not list its flows: Portable answered 503 for GET /v2/flows after 3 attempt(s)'));
    expect(run.stdout.split('\n').at(-2)).toBe('1 flow watched by discover: rules, 0 listed under flows:, 5 left out; not listed: staging (see above)');
    expect(run.code).toBe(1);
    expect(staging.requestCount({ path: '/v2/flows' })).toBe(3);

    const json = await discover(twoAccountsYaml(), '--json');
    expect(json.code).toBe(1);
    const printed = JSON.parse(json.stdout) as { accounts: Array<{ name: string }> };
    expect(printed.accounts[1]).toEqual({
      name: 'staging',
      error: 'Portable answered 503 for GET /v2/flows after 3 attempt(s)',
      watched: [],
      listed: [],
      leftOut: [],
    });
    expect(printed.accounts[0]).toMatchObject({ name: 'prod', error: null, watched: [{ id: 12, name: 'Shopify orders', rule: 1 }] });
    for (const output of [run.stdout, run.stderr, json.stdout, json.stderr]) {
      expect(output).not.toContain(STAGING_TOKEN);
      expect(output).not.toContain(PROD_TOKEN);
    }
  });

  it('reports a rejected token as the account\'s error, without the token', async () => {
    const run = await runCli(['discover', '--config', await configFile(twoAccountsYaml())], { ...TOKENS, PORTABLE_STAGING_TOKEN: 'revoked-token-xyz' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('staging: could not list its flows: Portable rejected the API token (401) for GET /v2/flows');
    expect(run.stdout).toContain('prod: 6 flows in Portable');
    expect(`${run.stdout}${run.stderr}`).not.toContain('revoked-token-xyz');
    expect(`${run.stdout}${run.stderr}`).not.toContain(PROD_TOKEN);
    // A 401 is not retried: asking again would not make the token valid.
    expect(staging.requestCount({ path: '/v2/flows' })).toBe(1);
  });
});

describe.concurrent('portable-watch discover usage errors', () => {
  it.each([
    [['--flow', '12'], "portable-watch discover: Unknown option '--flow'"],
    [['everything'], "portable-watch discover: Unexpected argument 'everything'"],
  ])('refuses %j with the usage', async (args, message) => {
    const run = await runCli(['discover', '--config', join(directory, 'unused.yaml'), ...args], TOKENS);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${message}\n\nUsage: portable-watch discover [--json] [--config PATH]\n`);
  });

  it('says so when the config file is missing', async () => {
    const missing = join(directory, 'missing.yaml');
    const run = await runCli(['discover', '--config', missing], TOKENS);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`config file not found: ${missing}`);
  });

  it('needs the tokens: an unset one is a config problem, and nothing is requested', async () => {
    const path = await configFile(twoAccountsYaml());
    const run = await runCli(['discover', '--config', path], { PORTABLE_PROD_TOKEN: PROD_TOKEN });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^.*: 1 problem\n {2}.*PORTABLE_STAGING_TOKEN/);
    expect(prod.requestCount() + staging.requestCount()).toBe(0);
  });
});
