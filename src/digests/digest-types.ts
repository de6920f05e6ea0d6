import type { Alert } from '../alerts/alert.ts';

/**
 * Alerts gathered for one notifier during a storm, sent as one message. Each notifier renders it within its
 * medium's limits: a count by kind first, then one line per alert (flow name, kind, first error line, link); the
 * lines that do not fit are counted ("and 212 more") and `seeAll` says where to see every one.
 */
export interface Digest {
  /** Oldest first; every alert is named or counted in the message. */
  alerts: readonly Alert[];
  /** When the first of them was gathered, and when the digest was sent (epoch ms). */
  since: number;
  sentAt: number;
  /** Where every alert of the digest can be seen: "run portable-watch status". */
  seeAll: string;
}
