/**
 * Flows as a detection bench needs them: each on a Portable schedule (`frequency` or `cron`, served by GET
 * /v2/flows), with 5 to 10 resources whose runs report row counts, and a history of healthy runs already in the
 * simulator when the worker starts. Deterministic from the flow id, so every measurement of a scenario serves the
 * same flows. Runs are planned by the simulator's own run scripts (src/simulator/run-script.ts).
 */
import { CronExpressionParser } from 'cron-parser';
import type { PortableSimulator } from '../src/simulator/portable-simulator.ts';
import type { ResourcePlan, RunPlan } from '../src/simulator/plan-run.ts';
import { createRunScript, type RunScript } from '../src/simulator/run-script.ts';
import { FREQUENCY_MS, type RunSchedule } from '../src/simulator/run-slots.ts';

const MINUTE = 60_000;

/**
 * Half the flows on a Portable frequency, half on a cron; every one runs at least daily, so 30 days of history
 * hold the 30 runs a flow's history keeps. Each flow has its own minute (a cron's, a frequency's phase), so that at
 * any moment about one flow in sixteen is running, whatever the time a measurement starts.
 */
const FREQUENCIES = ['15m', '30m', '1h', '6h', '12h', '24h'] as const;
const CRONS: ReadonlyArray<(minute: number, hour: number) => string> = [
  (minute) => `${minute % 15},${(minute % 15) + 15},${(minute % 15) + 30},${(minute % 15) + 45} * * * *`,
  (minute) => `${minute} * * * *`,
  (minute) => `${minute} */2 * * *`,
  (minute) => `${minute} */6 * * *`,
  (minute, hour) => `${minute} ${hour} * * *`,
  (minute) => `${minute} 23 * * *`,
  (minute) => `${minute} 8,12,16 * * *`,
  (minute) => `${minute} */4 * * *`,
];

const TABLES = ['events', 'attendees', 'orders', 'order_items', 'customers', 'invoices', 'contacts', 'accounts', 'opportunities', 'campaigns'];

export interface ScheduledFlowPlan {
  id: number;
  frequency?: string;
  cron?: string;
  resources: ResourcePlan[];
  durationMs: number;
}

export function planScheduledFlow(id: number): ScheduledFlowPlan {
  const cron = id % 2 === 1 ? CRONS[Math.floor(id / 2) % CRONS.length]?.((id * 7) % 60, id % 24) : undefined;
  const frequency = cron === undefined ? (FREQUENCIES[Math.floor(id / 2) % FREQUENCIES.length] as string) : undefined;
  // 5 to 10 resources of 100 to 9,000,000 rows, varying from flow to flow.
  const count = 5 + (id % 6);
  const resources = TABLES.slice(0, count).map((name, index) => ({ name, rows: 10 ** (2 + ((id + index) % 5)) * (1 + ((id * 7 + index) % 9)) }));
  const period = cron === undefined ? (FREQUENCY_MS[frequency ?? '24h'] ?? 24 * 60 * MINUTE) : cronPeriod(cron);
  // A tenth of the period, 1 to 15 minutes.
  const durationMs = Math.min(15 * MINUTE, Math.max(MINUTE, Math.round(period / 10)));
  return { id, ...(cron === undefined ? { frequency } : { cron }), resources, durationMs };
}

export interface ScheduledFlowsSeed {
  /** Healthy runs per flow before `at`, its latest slot's included (which may still be running at `at`). */
  runs: number;
  /** Epoch ms: the simulator's "now" when it is seeded. */
  at: number;
  /**
   * Whether the flows keep running on their schedules afterwards (the scripts played by the simulator's clock), so
   * that no flow misses a run however long the measurement lasts. Needs `runs` > 0.
   */
  play: boolean;
}

/** Adds each flow with its Portable schedule, and `seed.runs` healthy runs up to `seed.at`; returns their run scripts. */
export function seedScheduledFlows(simulator: Pick<PortableSimulator, 'addFlow' | 'addAttempt' | 'updateAttempt'>, flowIds: readonly number[], seed: ScheduledFlowsSeed): RunScript[] {
  const scripts: RunScript[] = [];
  for (const id of flowIds) {
    const flow = planScheduledFlow(id);
    simulator.addFlow({ id, displayName: `bench flow ${id}`, ...(flow.frequency === undefined ? {} : { frequency: flow.frequency }), ...(flow.cron === undefined ? {} : { cron: flow.cron }) });
    if (seed.runs <= 0) continue;
    const everyMs = FREQUENCY_MS[flow.frequency ?? '24h'] ?? 24 * 60 * MINUTE;
    // Knuth's multiplicative hash, as for the check schedules' offsets: consecutive ids far apart in the period.
    const schedule: RunSchedule = flow.cron === undefined ? { everyMs, anchor: (Math.imul(id, 2654435761) >>> 0) % everyMs } : { cron: flow.cron };
    const plan: RunPlan = { schedule, start: firstOfLastSlots(schedule, seed.at, seed.runs), durationMs: flow.durationMs, resources: flow.resources, seed: id };
    const script = createRunScript(simulator, id, plan);
    script.advanceTo(seed.at);
    scripts.push(script);
  }
  return scripts;
}

/** The time of the `count`-th slot back from `at` (the latest slot at or before `at` is the first). */
function firstOfLastSlots(schedule: RunSchedule, at: number, count: number): number {
  if ('everyMs' in schedule) {
    const anchor = schedule.anchor ?? 0;
    return anchor + (Math.floor((at - anchor) / schedule.everyMs) - (count - 1)) * schedule.everyMs;
  }
  const slots = CronExpressionParser.parse(schedule.cron, { currentDate: at + 1, tz: 'UTC' });
  let slot = at;
  for (let index = 0; index < count; index += 1) slot = slots.prev().getTime();
  return slot;
}

/** The shortest gap between two of a cron's slots over a day: what its runs' duration is scaled to. */
function cronPeriod(cron: string): number {
  const slots = CronExpressionParser.parse(cron, { currentDate: Date.UTC(2026, 0, 5), tz: 'UTC' });
  let previous = slots.next().getTime();
  let shortest = Number.POSITIVE_INFINITY;
  for (let index = 0; index < 24 * 4; index += 1) {
    const next = slots.next().getTime();
    shortest = Math.min(shortest, next - previous);
    previous = next;
    if (next - Date.UTC(2026, 0, 5) > 2 * 24 * 60 * MINUTE) break;
  }
  return shortest;
}
