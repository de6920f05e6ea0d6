/**
 * When a flow is expected to run. From the flow's own `schedule:` setting when it has one, else from Portable's
 * `cron` (which overrides `frequency`), else from its `frequency`; `manual` and an absent schedule expect nothing.
 */

/** What a flow's `schedule:` key says, as the config parsed it. */
export type ScheduleSetting = { kind: 'cron'; expression: string } | { kind: 'every'; everyMs: number } | { kind: 'none' };

/** What Portable said about a flow's schedule (`GET /v2/flows`), verbatim. */
export interface PortableSchedule {
  frequency?: string;
  cron?: string;
}

/** An expectation: a cron in a time zone, or one run every so often (anchored on the latest run). */
export type Schedule = (
  | { kind: 'cron'; expression: string; timezone: string }
  /** `frequency`: Portable's value as it gave it (`24h`), said back to people in its own words. */
  | { kind: 'every'; everyMs: number; frequency?: string }
) & {
  source: 'config' | 'portable';
};
