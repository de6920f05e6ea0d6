import { isMatch } from 'matcher';
import { flowKey, type FlowRef } from '../accounts/flow-ref.ts';
import type { DiscoverRule, FlowConfig } from '../config/config-schema.ts';

/*
 * Which flows Portable lists that `discover:` rules watch, and why the others are left out. Pure: the caller lists
 * each account's flows (one GET /v2/flows per account) and passes them in.
 *
 * Rules are tried in file order. A rule looks only at flows of its own account; it includes a flow whose id it lists
 * under `ids:` or whose displayName one of its `include:` globs matches, unless one of its `exclude:` globs matches
 * the displayName, which leaves the flow to the rules after it (ids included: `exclude:` is the rule's last word).
 * The first rule that includes a flow gives it its settings. A flow listed under `flows:` is never discovered: its
 * own entry says how to watch it.
 *
 * Globs are matcher's, as silences' `--name` (see src/silences/match-silence.ts): `*` is any text, case is ignored,
 * and the glob must match the whole name. A flow Portable gives no displayName is matched as the empty name, so
 * `include: "*"` still takes it and only `ids:` can pick it out.
 */

/** One flow as GET /v2/flows listed it, with the account whose token listed it. */
export interface ListedFlow {
  account: string;
  id: number;
  displayName: string | null;
}

/** A flow of `flows:`: its config name, when it has one, wins over Portable's. */
export type ExplicitRef = FlowRef & { name?: string | undefined };

export interface DiscoveredFlow {
  account: string;
  id: number;
  /** The displayName, or `Flow <id>` when Portable gives none. */
  name: string;
  /** The index of the rule that includes it (DiscoverRule.index). */
  rule: number;
}

export type LeftOutReason = 'no rule includes it' | `excluded by rule ${number}`;

export interface LeftOutFlow {
  account: string;
  id: number;
  name: string;
  reason: LeftOutReason;
}

/** A flow listed under `flows:`, which rules never take. */
export interface ExplicitFlow {
  account: string;
  id: number;
  /** Its config name, else Portable's displayName, else `Flow <id>`. */
  name: string;
  /** Whether Portable's list holds it: one it does not is a typo or a deleted flow, and its checks will say 404. */
  inPortable: boolean;
}

export interface DiscoveryInput {
  rules: readonly DiscoverRule[];
  listed: readonly ListedFlow[];
  /** The flows under `flows:`. */
  explicit: readonly ExplicitRef[];
}

export interface DiscoveryMatch {
  /** In the order Portable listed them. */
  watched: DiscoveredFlow[];
  /** In the order Portable listed them. */
  leftOut: LeftOutFlow[];
  /** In the order of `flows:`. */
  explicit: ExplicitFlow[];
}

export function matchDiscovery(input: DiscoveryInput): DiscoveryMatch {
  const rules = [...input.rules].sort((first, second) => first.index - second.index);
  // By key, not by scanning: the benchmark's account lists 10,000 flows.
  const listed = byKey(input.listed);
  const explicitKeys = new Set(input.explicit.map(flowKey));
  const watched: DiscoveredFlow[] = [];
  const leftOut: LeftOutFlow[] = [];
  for (const [key, flow] of listed) {
    if (explicitKeys.has(key)) continue;
    const name = flowName(flow);
    const verdict = ruleFor(rules, flow);
    if (verdict.rule !== undefined) watched.push({ account: flow.account, id: flow.id, name, rule: verdict.rule });
    else leftOut.push({ account: flow.account, id: flow.id, name, reason: verdict.excludedBy === undefined ? 'no rule includes it' : `excluded by rule ${verdict.excludedBy}` });
  }
  const explicit = input.explicit.map((ref): ExplicitFlow => {
    const seen = listed.get(flowKey(ref));
    const name = ref.name ?? (seen === undefined ? `Flow ${ref.id}` : flowName(seen));
    return { account: ref.account, id: ref.id, name, inPortable: seen !== undefined };
  });
  return { watched, leftOut, explicit };
}

/** The first rule that includes the flow, or the last that would have but excluded it. */
function ruleFor(rules: readonly DiscoverRule[], flow: ListedFlow): { rule?: number; excludedBy?: number } {
  const name = flow.displayName ?? '';
  let excludedBy: number | undefined;
  for (const rule of rules) {
    if (rule.account !== flow.account) continue;
    const included = rule.ids.includes(flow.id) || rule.include.some((glob) => globMatches(glob, name));
    if (!included) continue;
    if (!rule.exclude.some((glob) => globMatches(glob, name))) return { rule: rule.index };
    excludedBy = rule.index;
  }
  return excludedBy === undefined ? {} : { excludedBy };
}

function globMatches(glob: string, name: string): boolean {
  return isMatch(name, glob, { caseSensitive: false });
}

/** Portable's name for the flow, or `Flow <id>` when it gives none (or only blanks). */
export function flowName(flow: Pick<ListedFlow, 'id' | 'displayName'>): string {
  const name = flow.displayName?.trim();
  return name === undefined || name === '' ? `Flow ${flow.id}` : name;
}

/** A list that holds a flow twice (a paging mistake on Portable's side) must not watch it twice: the first counts. */
function byKey(flows: readonly ListedFlow[]): Map<string, ListedFlow> {
  const listed = new Map<string, ListedFlow>();
  for (const flow of flows) if (!listed.has(flowKey(flow))) listed.set(flowKey(flow), flow);
  return listed;
}

/**
 * The settings a discovered flow is watched with: its rule's template, Portable's id and name. Throws for a rule
 * index that `rules` lacks, which only a caller mixing two configs could produce.
 */
export function discoveredFlowConfig(flow: DiscoveredFlow, rules: readonly DiscoverRule[]): FlowConfig {
  const rule = rules.find((candidate) => candidate.index === flow.rule);
  if (rule === undefined) throw new RangeError(`discovered flow ${flow.account}/${flow.id} names rule ${flow.rule}, which the config has not`);
  return { ...rule.template, account: flow.account, id: flow.id, name: flow.name };
}

/** What a rule includes, as `portable-watch discover` shows it beside the rule's index: `include "Shopify*"; ids 12, 14`. */
export function describeRule(rule: Pick<DiscoverRule, 'include' | 'ids'>): string {
  const parts = [
    ...(rule.include.length === 0 ? [] : [`include ${rule.include.map((glob) => JSON.stringify(glob)).join(', ')}`]),
    ...(rule.ids.length === 0 ? [] : [`ids ${rule.ids.join(', ')}`]),
  ];
  return parts.join('; ');
}
