import { DEFAULT_ACCOUNT } from '../accounts/flow-ref.ts';
import type { FlowConfig } from '../config/config-schema.ts';
import type { StatusReport } from './flow-status.ts';
import type { StatusTarget } from './read-flow-status.ts';

/**
 * The worker's StatusReport, read at most once per `maxAgeMs` however many readers ask: the status page, its
 * refreshing viewers and /metrics' last-success ages all share one read. One read in flight at a time; a read
 * that fails fails its waiters and is not remembered, so the next request tries again.
 */
export interface StatusSnapshot {
  /** A report at most `maxAgeMs` old, waiting for a new read when the last one is older. */
  read(): Promise<StatusReport>;
  /**
   * For people looking at a page: the last report at once if it is younger than `staleMs` (else a new one, waited
   * for), so a page never waits for Redis while it is being watched. `refresh` afterwards keeps it recent.
   */
  readQuick(): Promise<StatusReport>;
  /**
   * Starts a new read if the last report is older than `maxAgeMs` and none is running; called once a page has been
   * sent, so the read does not compete with building it. A failed read is the next waiting reader's to see.
   */
  refresh(): void;
}

export function createStatusSnapshot(options: { read: () => Promise<StatusReport>; maxAgeMs: number; staleMs: number; now: () => number }): StatusSnapshot {
  let last: { report: StatusReport; at: number } | undefined;
  let reading: Promise<StatusReport> | undefined;
  const ageOfLast = () => {
    const age = last === undefined ? Infinity : options.now() - last.at;
    // A wall clock stepped back (age < 0) must not keep an old report forever.
    return age < 0 ? Infinity : age;
  };
  const refresh = () =>
    (reading ??= options
      .read()
      .then((report) => {
        last = { report, at: options.now() };
        return report;
      })
      .finally(() => {
        reading = undefined;
      }));
  return {
    read() {
      if (last !== undefined && ageOfLast() < options.maxAgeMs) return Promise.resolve(last.report);
      return refresh();
    },
    readQuick() {
      if (last === undefined || ageOfLast() >= options.staleMs) return refresh();
      return Promise.resolve(last.report);
    },
    refresh() {
      if (last !== undefined && ageOfLast() < options.maxAgeMs) return;
      refresh().catch(() => undefined);
    },
  };
}

/** The rows of a status report for the flows watched: each with its account when the installation names accounts. */
export function statusTargetsOf(accounts: readonly string[], flows: readonly FlowConfig[]): StatusTarget[] {
  const named = accounts.some((name) => name !== DEFAULT_ACCOUNT);
  return flows.map((flow) => ({ id: flow.id, name: flow.name, ...(named ? { account: flow.account } : {}) }));
}
