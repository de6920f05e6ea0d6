import type { DiscoverRule } from '../config/config-schema.ts';
import { describeRule, type DiscoveredFlow, type DiscoveryMatch, type ExplicitFlow, type LeftOutFlow } from './match-discovery.ts';

/*
 * What `portable-watch discover` prints: per account, the flows `discover:` rules would watch now, those listed under
 * `flows:`, and those left out with the reason; or why the account's flows could not be listed. The table and the
 * JSON are built from the same report, so they cannot disagree.
 */

export interface AccountDiscovery {
  name: string;
  /** Why GET /v2/flows failed for the account (never holding the token); undefined when it was listed. */
  error: string | undefined;
  watched: DiscoveredFlow[];
  listed: ExplicitFlow[];
  leftOut: LeftOutFlow[];
}

/** The report of each account, in `accountNames` order, each list by flow id. */
export function discoveryReport(accountNames: readonly string[], match: DiscoveryMatch, errors: ReadonlyMap<string, string>): AccountDiscovery[] {
  const ofAccount = <Flow extends { account: string; id: number }>(flows: readonly Flow[], account: string) =>
    flows.filter((flow) => flow.account === account).sort((first, second) => first.id - second.id);
  return accountNames.map((name) => {
    const error = errors.get(name);
    if (error !== undefined) return { name, error, watched: [], listed: [], leftOut: [] };
    return { name, error, watched: ofAccount(match.watched, name), listed: ofAccount(match.explicit, name), leftOut: ofAccount(match.leftOut, name) };
  });
}

export function renderDiscoveryJson(accounts: readonly AccountDiscovery[], now: number): string {
  return JSON.stringify(
    {
      generatedAt: new Date(now).toISOString(),
      accounts: accounts.map((account) => ({
        name: account.name,
        error: account.error ?? null,
        watched: account.watched.map(({ id, name, rule }) => ({ id, name, rule })),
        listed: account.listed.map(({ id, name, inPortable }) => ({ id, name, inPortable })),
        leftOut: account.leftOut.map(({ id, name, reason }) => ({ id, name, reason })),
      })),
    },
    null,
    2,
  );
}

export function renderDiscoveryTable(accounts: readonly AccountDiscovery[], rules: readonly DiscoverRule[]): string {
  const blocks = accounts.map((account) => accountBlock(account, rules).join('\n'));
  return [...blocks, summaryLine(accounts)].join('\n\n');
}

function accountBlock(account: AccountDiscovery, rules: readonly DiscoverRule[]): string[] {
  if (account.error !== undefined) return [`${account.name}: could not list its flows: ${account.error}`];
  const inPortable = account.watched.length + account.leftOut.length + account.listed.filter((flow) => flow.inPortable).length;
  const title = `${account.name}: ${count(inPortable, 'flow')} in Portable`;
  const ruleText = (index: number) => {
    const rule = rules.find((candidate) => candidate.index === index);
    return rule === undefined ? `rule ${index}` : `rule ${index} (${describeRule(rule)})`;
  };
  const rows = [
    ...account.watched.map((flow) => [String(flow.id), flow.name, 'yes', ruleText(flow.rule)]),
    ...account.listed.map((flow) => [String(flow.id), flow.name, 'yes', flow.inPortable ? 'listed under flows:' : "listed under flows:, but not in Portable's list"]),
    ...account.leftOut.map((flow) => [String(flow.id), flow.name, 'no', flow.reason]),
  ];
  if (rows.length === 0) return [title];
  return [title, ...table([['ID', 'NAME', 'WATCHED', 'WHY'], ...rows]).map((line) => `  ${line}`)];
}

/** Columns padded to their widest cell, ids (the first column) to the right, the last column left ragged. */
function table(rows: readonly string[][]): string[] {
  const columns = (rows[0] ?? []).length;
  const widths = Array.from({ length: columns - 1 }, (_unused, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const pad = (cell: string, column: number) => {
    if (column === columns - 1) return cell;
    const width = widths[column] ?? 0;
    return `${column === 0 ? cell.padStart(width) : cell.padEnd(width)}  `;
  };
  return rows.map((row) => row.map(pad).join('').trimEnd());
}

/** `3 flows watched by discover: rules, 2 listed under flows:, 5 left out`, and the accounts that could not be listed. */
function summaryLine(accounts: readonly AccountDiscovery[]): string {
  const total = (pick: (account: AccountDiscovery) => readonly unknown[]) => accounts.reduce((sum, account) => sum + pick(account).length, 0);
  const line = `${count(total((account) => account.watched), 'flow')} watched by discover: rules, ${total((account) => account.listed)} listed under flows:, ${total((account) => account.leftOut)} left out`;
  const failed = accounts.filter((account) => account.error !== undefined).map((account) => account.name);
  if (failed.length === 0) return line;
  return `${line}; not listed: ${failed.join(', ')} (see above)`;
}

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? '' : 's'}`;
}
