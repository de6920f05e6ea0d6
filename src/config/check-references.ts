import { checkAccounts } from './check-accounts.ts';
import { checkInstallationSettings } from './check-installation-settings.ts';
import { checkRoutes } from './check-routes.ts';
import type { ConfigPath } from './config-path.ts';
import type { ConfigIssue } from './describe-issue.ts';

/**
 * Rules that relate one part of the file to another, which the schema checks one value at a time
 * cannot see: flow ids are unique, every `notify` name (a flow's, defaults', a route's) is defined,
 * email notifiers have an `email:` section to send through, an installation-wide setting written in
 * several places says the same in each; and those about labels, routes and maintenance windows, every
 * flow notifying someone among them (check-routes.ts).
 *
 * They run on the raw data rather than the parsed result, so that they are reported together with
 * every schema problem instead of only once the rest of the file is valid. Anything malformed is
 * skipped here: the schema reports it.
 */
export function checkReferences(data: unknown): ConfigIssue[] {
  if (!isRecord(data)) return [];
  const flows = Array.isArray(data.flows) ? data.flows : [];
  return [
    ...checkAccounts(data),
    ...undefinedNotifiers(data, flows),
    ...missingEmailSection(data),
    ...checkInstallationSettings(data),
    ...checkRoutes(data, flows),
  ];
}

function undefinedNotifiers(data: Record<string, unknown>, flows: readonly unknown[]): ConfigIssue[] {
  const section = data.notifiers ?? {};
  if (!isRecord(section)) return [];
  const defined = Object.keys(section);
  const help = defined.length > 0 ? `defined: ${defined.join(', ')}` : 'none are defined; add it under notifiers:';
  const lists: [ConfigPath, unknown][] = [
    [['defaults', 'notify'], isRecord(data.defaults) ? data.defaults.notify : undefined],
    [['discoverNotify'], data.discoverNotify],
    ...(Array.isArray(data.discover) ? data.discover : []).map((rule: unknown, index): [ConfigPath, unknown] => [
      ['discover', index, 'notify'],
      isRecord(rule) ? rule.notify : undefined,
    ]),
    ...flows.map((flow, index): [ConfigPath, unknown] => [['flows', index, 'notify'], isRecord(flow) ? flow.notify : undefined]),
    ...(Array.isArray(data.routes) ? data.routes : []).map((route: unknown, index): [ConfigPath, unknown] => [
      ['routes', index, 'notify'],
      isRecord(route) ? route.notify : undefined,
    ]),
  ];
  const issues: ConfigIssue[] = [];
  for (const [path, names] of lists) {
    if (!Array.isArray(names)) continue;
    names.forEach((name, index) => {
      if (typeof name === 'string' && name.trim() !== '' && !defined.includes(name.trim())) {
        issues.push({ path: [...path, index], message: `no notifier named {value} (${help})` });
      }
    });
  }
  return issues;
}

function missingEmailSection(data: Record<string, unknown>): ConfigIssue[] {
  if (data.email != null || !isRecord(data.notifiers)) return [];
  const senders = Object.entries(data.notifiers)
    .filter(([, notifier]) => isRecord(notifier) && notifier.type === 'email')
    .map(([name]) => JSON.stringify(name));
  if (senders.length === 0) return [];
  const notifiers = senders.length === 1 ? `the email notifier ${senders[0]}` : `the email notifiers ${senders.join(', ')}`;
  return [{ path: ['email'], message: `is required by ${notifiers} (add email: with smtpUrl and from)` }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
