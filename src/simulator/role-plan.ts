/**
 * What each role of the simulated account does, as a run plan: its Portable schedule, its usual runs, and the
 * faults that make it alert. Every role keeps 40 healthy runs of history before the start (12 for the six-hourly
 * one), enough for learned run times and volumes (10), so the first check already knows what is usual.
 */
import type { ResourcePlan, RunPlan } from './plan-run.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export type SimulatedRole = 'fails' | 'hangs' | 'succeeds' | 'misses' | 'loads-short';

/** Runs of history before the start. */
export const HISTORY_RUNS = 40;
/** The failing flow's first run after the start comes this much later, so a fresh simulator's latest run is its failure. */
export const FIRST_RUN_DELAY_MS = 30 * SECOND;
/** Past the 2h default maxRuntime when the simulator starts; it ends 10 minutes later. */
export const HANGING_FOR_MS = 130 * MINUTE;
/** How long each later run of the hanging flow takes. */
export const HANG_MS = 140 * MINUTE;

export const SIMULATED_ERROR =
  "Snowflake rejected the load: Table 'ANALYTICS.EVENTS.PAGES' does not exist or not authorized. (simulated)";
export const SIMULATED_REJECTION = "BigQuery rejected rows: field 'discount' is not a valid NUMERIC (simulated)";

export interface RoleSchedule {
  /** Portable's schedule for the flow, as GET /v2/flows serves it. */
  frequency?: string;
  cron?: string;
}

export interface RoleDescription extends RoleSchedule {
  behaviour: string;
}

export const ROLES: Record<SimulatedRole, RoleDescription> = {
  fails: {
    cron: '* * * * *',
    behaviour: 'a run every minute (from 30 s after the start): two fail, the third succeeds, on a loop (its last run before the start failed)',
  },
  hangs: {
    frequency: '6h',
    behaviour: `a run every 6h, usually ~20 min; the current one has been RUNNING for ${HANGING_FOR_MS / MINUTE} min (past the default maxRuntime of 2h) and succeeds 10 min after the start; each later run takes ${HANG_MS / MINUTE} min`,
  },
  succeeds: { frequency: '15m', behaviour: 'a run every 15 min, each succeeds' },
  misses: {
    cron: '* * * * *',
    behaviour: 'due every minute, but from the first minute after the start it skips 6 runs, then runs 4, on a loop: a missed run about 3 min after the start, recovered at 6 min',
  },
  'loads-short': {
    cron: '*/2 * * * *',
    behaviour: 'a run every 2 min, each succeeds; after 40 normal runs, in every 5 the 1st loads `orders` partially (rows rejected) and the 3rd loads 0 `refunds`',
  },
};

/** Realistic resources per flow of the account, by position; later flows have one. */
const RESOURCES: readonly (readonly ResourcePlan[])[] = [
  [{ name: 'events', rows: 1_800 }, { name: 'attendees', rows: 210 }],
  [{ name: 'accounts', rows: 5_200 }, { name: 'opportunities', rows: 940 }],
  [{ name: 'invoices', rows: 640 }, { name: 'customers', rows: 120 }],
  [{ name: 'contacts', rows: 1_200 }, { name: 'companies', rows: 85 }],
  [{ name: 'orders', rows: 2_400 }, { name: 'refunds', rows: 160 }],
];

export function resourcesAt(position: number): readonly ResourcePlan[] {
  return RESOURCES[position] ?? [{ name: 'rows', rows: 1_000 }];
}

/** The first time after `start` that is a whole multiple of `stepMs` (since the epoch, so a cron's minute). */
function nextBoundary(start: number, stepMs: number): number {
  return Math.floor(start / stepMs) * stepMs + stepMs;
}

/** Faults hit live runs only: runs [HISTORY_RUNS, …), counted from the first one after the start. */
const live = (cycle: number, positions: readonly number[]) => ({ index }: { index: number }) =>
  index >= HISTORY_RUNS && positions.includes((index - HISTORY_RUNS) % cycle);

/** The plan of one flow of the account that starts at `start`. */
export function rolePlan(role: SimulatedRole, resources: readonly ResourcePlan[], seed: number, start: number): RunPlan {
  const base = { resources, seed };
  switch (role) {
    case 'fails': {
      // Every minute from 30 s after the start, not on the minute: a first run within seconds of the start would
      // hide the failure a fresh simulator promises. Each run still comes within a minute of its cron time.
      const firstLive = start + FIRST_RUN_DELAY_MS;
      const failing = ({ index }: { index: number }) => index === HISTORY_RUNS - 1 || (index >= HISTORY_RUNS && (index - HISTORY_RUNS) % 3 !== 2);
      return {
        ...base,
        schedule: { everyMs: MINUTE, anchor: firstLive },
        start: firstLive - HISTORY_RUNS * MINUTE,
        durationMs: 5 * SECOND,
        faults: [{ kind: 'fail', error: SIMULATED_ERROR, when: failing }],
      };
    }
    case 'hangs': {
      const hanging = start - HANGING_FOR_MS;
      return {
        ...base,
        schedule: { everyMs: 6 * HOUR, anchor: hanging },
        start: hanging - 12 * 6 * HOUR,
        durationMs: 20 * MINUTE,
        faults: [{ kind: 'slow', durationMs: HANG_MS, from: hanging }],
      };
    }
    case 'succeeds':
      return { ...base, schedule: { everyMs: 15 * MINUTE }, start: nextBoundary(start, 15 * MINUTE) - HISTORY_RUNS * 15 * MINUTE, durationMs: 90 * SECOND };
    case 'misses':
      return {
        ...base,
        schedule: { cron: '* * * * *' },
        start: nextBoundary(start, MINUTE) - HISTORY_RUNS * MINUTE,
        durationMs: 20 * SECOND,
        faults: [{ kind: 'skip', when: live(10, [0, 1, 2, 3, 4, 5]) }],
      };
    case 'loads-short':
      return {
        ...base,
        schedule: { cron: '*/2 * * * *' },
        start: nextBoundary(start, 2 * MINUTE) - HISTORY_RUNS * 2 * MINUTE,
        durationMs: 40 * SECOND,
        faults: [
          { kind: 'partial', loadedRatio: 0.92, error: SIMULATED_REJECTION, when: live(5, [0]) },
          { kind: 'volume-drop', resource: resources.at(-1)?.name, when: live(5, [2]) },
        ],
      };
  }
}
