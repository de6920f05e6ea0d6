import type { Alert } from '../../src/alerts/alert.ts';
import type { Digest } from '../../src/digests/digest-types.ts';
import { attempt, failedAlert, HOUR, stalledAlert, STARTED_AT } from './alert-fixtures.ts';

export const SEE_ALL = 'run portable-watch status';

/** The alerts of a storm, in the order gathered: one digest around them, sent a minute after the first. */
export function digestOf(alerts: readonly Alert[]): Digest {
  return { alerts, since: STARTED_AT + HOUR, sentAt: STARTED_AT + HOUR + 60_000, seeAll: SEE_ALL };
}

export interface StormOptions {
  /** The flow's name for flow `index` (its id is 100000 + index). */
  name?: (index: number) => string;
  /** The first error of the failed attempt. */
  error?: (index: number) => string;
  url?: (index: number) => string | undefined;
  /** Every `stalledEvery`-th alert is a stall rather than a failure (0: none). */
  stalledEvery?: number;
}

/** `count` flows failing one second apart, as when the warehouse they all load into goes down. */
export function storm(count: number, options: StormOptions = {}): Alert[] {
  const alerts: Alert[] = [];
  for (let index = 0; index < count; index += 1) {
    const id = 100_000 + index;
    const name = options.name?.(index) ?? `Events ${index} to Snowflake`;
    const url = options.url === undefined ? `https://app.portable.io/flows/${id}` : options.url(index);
    const flow = url === undefined ? { id, name } : { id, name, url };
    const detectedAt = STARTED_AT + HOUR + index * 1000;
    const stalled = options.stalledEvery !== undefined && options.stalledEvery > 0 && index % options.stalledEvery === options.stalledEvery - 1;
    if (stalled) {
      alerts.push({ ...stalledAlert(), key: `${id}:1:stalled`, flow, detectedAt });
      continue;
    }
    const error = options.error?.(index) ?? `SQL compilation error: warehouse EVENTS_WH is suspended\n(query 01b2c3d4-${index})`;
    alerts.push(failedAlert({ key: `${id}:1:failed`, flow, attempt: attempt({ id: 1, errors: [error] }), detectedAt }));
  }
  return alerts;
}
