import type { WatchConfig } from '../config/config-schema.ts';
import { matchDiscovery, type ListedFlow } from '../discovery/match-discovery.ts';
import { discoveryReport, renderDiscoveryJson, renderDiscoveryTable } from '../discovery/render-discovery.ts';
import { createPortableClient } from '../portable/portable-client.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch discover [--json] [--config PATH]',
  '',
  'Options:',
  '  --json             print JSON for scripts instead of the table',
  CONFIG_OPTION_HELP,
  '',
  "Lists each account's flows (one GET /v2/flows per account) and shows, per flow, whether the worker would watch it",
  'now and why: the discover: rule that includes it (rules are numbered from 0 in file order, as in discover[0]),',
  'its entry under flows:, or why the rules leave it out. Changes nothing and needs no Redis; it needs the tokens of',
  "the accounts, so the config's variables must be set. Exit status: 0 when every account was listed; 1 when the",
  'config cannot be read or an account could not be listed (the others are still shown).',
].join('\n');

/**
 * Retries for a person waiting at a terminal: two, so a passing 503 is ridden out within about 1.5 s, while an
 * outage is reported in seconds rather than the worker's half a minute.
 */
const RETRIES = 2;

/** `portable-watch discover`: what `discover:` rules would watch now, before the worker does it. */
export const discoverCommand: Command = {
  summary: "List each account's flows and show which discover: rules would watch, which flows: lists, and what is left out.",
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'discover', USAGE, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    });
    if (values === undefined) return 1;
    const config = await loadConfigOrReport(context, configPathOf(values.config, context));
    if (config === undefined) return 1;
    const accountNames = Object.keys(config.accounts);
    const listings = await Promise.all(accountNames.map((name) => listAccount(config, name)));
    const errors = new Map(listings.flatMap((listing) => (listing.ok ? [] : [[listing.account, listing.error] as const])));
    const match = matchDiscovery({
      rules: config.discover,
      listed: listings.flatMap((listing) => (listing.ok ? listing.flows : [])),
      // An account that could not be listed shows its error alone: its flows would all read "not in Portable's list".
      explicit: config.flows.filter((flow) => !errors.has(flow.account)),
    });
    const report = discoveryReport(accountNames, match, errors);
    writeLine(context.stdout, values.json === true ? renderDiscoveryJson(report, Date.now()) : renderDiscoveryTable(report, config.discover));
    return errors.size === 0 ? 0 : 1;
  },
};

type Listing = { account: string; ok: true; flows: ListedFlow[] } | { account: string; ok: false; error: string };

/**
 * One account's flows, or why not. The client's errors name the request and status, never the token; anything else
 * thrown (a URL the client refuses) is reported by its message, which holds no token either.
 */
async function listAccount(config: WatchConfig, account: string): Promise<Listing> {
  const settings = config.accounts[account];
  if (settings === undefined) return { account, ok: false, error: 'no such account in the config' };
  try {
    const client = createPortableClient({ token: settings.token, apiUrl: settings.apiUrl, retry: { limit: RETRIES } });
    const flows = await client.listFlows();
    return { account, ok: true, flows: flows.map((flow) => ({ account, id: flow.id, displayName: flow.displayName ?? null })) };
  } catch (error) {
    return { account, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
