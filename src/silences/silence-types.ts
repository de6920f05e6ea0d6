import type { RouteKind } from '../alerts/alert.ts';
import type { LabelSet } from '../routing/route-types.ts';

/**
 * A silence, as `portable-watch silence add` stores it in Redis (JSON; times epoch ms). It matches an alert whose
 * flow matches every matcher given (a flow id, labels, a glob on the flow's name) and whose kind is in `kinds`
 * (all kinds when absent; a recovery counts as the kind it ends), from `startsAt` until `endsAt`.
 */
export interface Silence {
  /** `s-` and 8 hex digits. */
  id: string;
  flow?: number;
  labels?: LabelSet;
  /** A glob on the flow's name (`*` any text, `\` escapes it), case-insensitive. */
  name?: string;
  kinds?: readonly RouteKind[];
  startsAt: number;
  endsAt: number;
  reason: string;
  createdAt: number;
}
