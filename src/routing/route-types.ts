import type { RouteKind, Severity } from '../alerts/alert.ts';

/** A flow's labels (`labels:` and `defaults.labels`): what routes, silences and maintenance windows match on. */
export type LabelSet = Readonly<Record<string, string>>;

/**
 * One entry of `routes:`, as the program uses it. `match` holds, per label key, the values that match (a flow
 * must have one of them under every key); the key `severity` matches the alert's default severity instead of a
 * label. An empty `match` matches every flow; no `kinds` means every kind.
 */
export interface RouteRule {
  match: Readonly<Record<string, readonly string[]>>;
  kinds?: readonly RouteKind[];
  notify: readonly string[];
  /** When false (the default), the first matching route is the last one read. */
  continue: boolean;
  /** Overrides the severity of the alerts this route sends. */
  severity?: Severity;
}

/** Where one kind of a flow's alerts goes. */
export interface Destination {
  notifier: string;
  severity: Severity;
}

/** Why a destination was chosen, for `portable-watch routes --flow ID`. */
export interface RoutedDestination extends Destination {
  /** `routes[1] (match team=growth, kinds failed, stalled)`, `the flow's notify`, `defaults.notify`. */
  because: string;
}

/** Every kind of a flow's alerts, with where it goes. */
export type FlowRouting = Readonly<Record<RouteKind, readonly Destination[]>>;
