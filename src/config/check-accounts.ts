import { DEFAULT_ACCOUNT } from '../accounts/flow-ref.ts';
import { nearestKey } from './closed-object.ts';
import type { ConfigPath } from './config-path.ts';
import type { ConfigIssue } from './describe-issue.ts';
import { flowIdSchema } from './setting-values.ts';

/*
 * What relates accounts to the flows and discovery rules that name them: there is at least one account; `portable:`
 * and an account named `default` are the same account written twice; a flow or rule names an account that exists,
 * and names one at all when there are several; a flow id is listed once per account; something is watched.
 */

export function checkAccounts(data: Record<string, unknown>): ConfigIssue[] {
  const accounts = isRecord(data.accounts) ? Object.keys(data.accounts) : [];
  const hasPortable = data.portable != null;
  const names = [...(hasPortable ? [DEFAULT_ACCOUNT] : []), ...accounts.filter((name) => name !== DEFAULT_ACCOUNT || !hasPortable)];
  const issues: ConfigIssue[] = [];
  if (!hasPortable && accounts.length === 0 && data.accounts == null) {
    issues.push({ path: ['portable'], message: 'is required (add portable: with token: ${PORTABLE_API_TOKEN})' });
  } else if (!hasPortable && accounts.length === 0) {
    issues.push({ path: ['accounts'], message: 'is empty (name at least one account: accounts: { prod: { token: ${PORTABLE_PROD_TOKEN} } })' });
  }
  if (hasPortable && accounts.includes(DEFAULT_ACCOUNT)) {
    issues.push({ path: ['accounts', DEFAULT_ACCOUNT], message: 'is the account portable: already describes (keep one of the two)' });
  }
  const flows = Array.isArray(data.flows) ? (data.flows as unknown[]) : [];
  const rules = Array.isArray(data.discover) ? (data.discover as unknown[]) : [];
  issues.push(...accountReferences('flows', flows, names), ...accountReferences('discover', rules, names));
  issues.push(...duplicateFlowIds(flows, names));
  if (flows.length === 0 && rules.length === 0) {
    const message =
      data.flows == null
        ? 'is required (list the flows to watch, e.g. flows: [{ id: 689422 }], or find them with discover: [{ include: "*" }])'
        : 'is empty (list at least one flow to watch, or find them with discover: [{ include: "*" }])';
    issues.push({ path: ['flows'], message });
  }
  return issues;
}

/** `account:` of each flow or rule: known, and present when there are several accounts. */
function accountReferences(section: 'flows' | 'discover', entries: readonly unknown[], names: readonly string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  entries.forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const path: ConfigPath = [section, index, 'account'];
    const account = entry.account;
    if (account === undefined) {
      if (names.length > 1) issues.push({ path, message: `is required when there are several accounts (one of: ${names.join(', ')})` });
      return;
    }
    if (typeof account !== 'string' || names.includes(account.trim()) || names.length === 0) return;
    const nearest = nearestKey(account.trim(), names);
    const hint = nearest === undefined ? `accounts: ${names.join(', ')}` : `did you mean "${nearest}"?`;
    issues.push({ path, message: `no account named {value} (${hint})` });
  });
  return issues;
}

/** A flow id is unique within its account; two accounts may each have a flow 42. */
function duplicateFlowIds(flows: readonly unknown[], names: readonly string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const firstIndex = new Map<string, number>();
  const only = names.length === 1 ? names[0] : DEFAULT_ACCOUNT;
  flows.forEach((flow, index) => {
    if (!isRecord(flow)) return;
    const id = flowIdSchema.safeParse(flow.id);
    if (!id.success) return;
    const account = typeof flow.account === 'string' ? flow.account.trim() : only;
    const key = `${account ?? DEFAULT_ACCOUNT}~${id.data}`;
    const first = firstIndex.get(key);
    if (first === undefined) firstIndex.set(key, index);
    else issues.push({ path: ['flows', index, 'id'], message: `{value} is also the id of flows[${first}] (list each flow once)` });
  });
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
