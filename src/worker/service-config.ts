import { flowKey, type FlowKey } from '../accounts/flow-ref.ts';
import { renderFlowUrl, type FlowConfig, type WatchConfig } from '../config/config-schema.ts';
import { DEFAULT_DIGEST_POLICY, type DigestPolicy } from '../digests/digest-book.ts';
import { createNotifier, type NotifierDeps } from '../notifiers/create-notifier.ts';
import type { Notifier } from '../notifiers/notifier.ts';
import { createPortableClient, type PortableClient, type PortableClientOptions } from '../portable/portable-client.ts';
import { notifiersOfConfig } from '../routing/route-flow.ts';

/* What the watch service builds from a config: its flows by key, its clients and notifiers, who hears what. */

/** Whether a flow's missed runs are judged by Portable's own schedule (it sets none itself). */
export function readsPortableSchedule(flow: FlowConfig): boolean {
  return flow.schedule === undefined && flow.detect.includes('missed');
}

export function indexFlows(config: WatchConfig): Map<FlowKey, FlowConfig> {
  return new Map(config.flows.map((flow) => [flowKey(flow), flow]));
}

/** Who hears about account-wide problems (a rejected token): every notifier any flow's alerts reach. */
export function accountNotifiersOf(config: WatchConfig): string[] {
  // Discovered flows are not in config.flows: their rules stand for them (a discovery-only config has no flows).
  const rules = config.discover.map((rule) => ({ ...rule.template, id: 0 }));
  return notifiersOfConfig({ ...config, flows: [...config.flows, ...rules] });
}

/** Where a digest's line counting what did not fit sends people. */
export const SEE_ALL = 'run portable-watch status to see every one';

export function digestPolicyOf(config: WatchConfig, name: string): DigestPolicy {
  const notifier = config.notifiers[name];
  return notifier === undefined ? DEFAULT_DIGEST_POLICY : { burst: notifier.burst, groupIntervalMs: notifier.groupInterval };
}

export function buildClients(config: WatchConfig, options: { client?: Partial<Omit<PortableClientOptions, 'token' | 'apiUrl'>> | undefined }): Map<string, PortableClient> {
  return new Map(
    Object.entries(config.accounts).map(([name, account]) => [name, createPortableClient({ ...options.client, token: account.token, apiUrl: account.apiUrl })]),
  );
}

export function flowUrlOf(config: WatchConfig, flow: FlowConfig): string | undefined {
  const template = config.accounts[flow.account]?.flowUrl;
  return template === undefined ? undefined : renderFlowUrl(template, flow.id);
}

export function buildNotifiers(config: WatchConfig, deps: NotifierDeps = {}): Map<string, Notifier> {
  const email = config.email === undefined ? {} : { email: config.email };
  return new Map(Object.entries(config.notifiers).map(([name, notifier]) => [name, createNotifier(name, notifier, { ...deps, ...email })]));
}
