/**
 * What one scheduled run of a simulated flow does: how long it takes, how many rows each resource brings, and the
 * scripted faults that change it (skipped, failed, partial, a volume drop, slow). Pure: the same plan and slot
 * always give the same run, so tests can generate a thousand runs, or thirty days of history, and know them.
 */
import type { ResourceCounts, RunAttempt, RunTrigger } from '../portable/run-attempt.ts';
import type { AttemptInput, SimulatedTrigger } from './flow-store.ts';
import type { RunSchedule, Slot } from './run-slots.ts';
import { noiseFactor, runRandom } from './seeded-random.ts';

const MINUTE = 60_000;

export interface ResourcePlan {
  name: string;
  /** The usual rows per run; each run draws around it. */
  rows: number;
}

export type RunFault =
  /** No attempt at all for this slot: Portable did not run the flow. */
  | { kind: 'skip' }
  /** Fails with this error (default a simulated destination error), loading nothing. */
  | { kind: 'fail'; error?: string }
  /** Succeeds, but `resource` (default the first) loads `loadedRatio` (default 0.9) of what it extracted; `error` on that resource when given. */
  | { kind: 'partial'; resource?: string; loadedRatio?: number; error?: string }
  /** Succeeds, but `resource` (default the first) brings `ratio` (default 0) of its usual rows, all of them loaded. */
  | { kind: 'volume-drop'; resource?: string; ratio?: number }
  /** Takes `durationMs`, or else `factor` (default 10) times the duration it would have had. */
  | { kind: 'slow'; factor?: number; durationMs?: number };

export type RunFaultKind = RunFault['kind'];

/** Which slots a fault hits. Every condition given must hold; with none, every slot. */
export interface FaultTiming {
  /** Run indexes (0 is the plan's first slot). */
  runs?: readonly number[];
  /** Slot times (epoch ms): from inclusive, until exclusive. */
  from?: number;
  until?: number;
  /** Any other rule, e.g. every tenth run. */
  when?: (slot: Slot) => boolean;
}

export type ScriptedFault = RunFault & FaultTiming;

export interface RunPlan {
  schedule: RunSchedule;
  /** The first slot at or after this time is run 0; nothing is planned before it. */
  start: number;
  /** The usual duration of a run (ms). */
  durationMs: number;
  /** Lognormal sigma of durations. Default 0.2. */
  durationSpread?: number;
  resources: readonly ResourcePlan[];
  /** Lognormal sigma of row counts. Default 0.25 (about ±25%). */
  rowSpread?: number;
  /** Default 1. */
  seed?: number;
  faults?: readonly ScriptedFault[];
  /** Default 'scheduled'. */
  trigger?: SimulatedTrigger;
}

/** A planned run; `createdAt` is its slot's time. */
export interface ScriptedRun {
  index: number;
  trigger: SimulatedTrigger;
  createdAt: number;
  durationMs: number;
  completedAt: number;
  state: 'succeeded' | 'failed';
  resources: ResourceCounts[];
  /** The attempt's own errors; absent when none. */
  errors?: string[];
  /** The kinds of the faults that shaped it, in the plan's order; [] for a healthy run. */
  faults: RunFaultKind[];
}

export const SIMULATED_FAILURE = 'The destination rejected the load (simulated)';

/** The run of this slot, or undefined when a `skip` fault leaves it out. */
export function planRun(plan: RunPlan, slot: Slot): ScriptedRun | undefined {
  const faults = (plan.faults ?? []).filter((fault) => hits(fault, slot));
  if (faults.some((fault) => fault.kind === 'skip')) return undefined;
  // Every draw is made whatever the faults, so a fault changes only what it is about.
  const random = runRandom(plan.seed ?? 1, slot.index);
  const durationMs = Math.max(1, Math.round(plan.durationMs * noiseFactor(random, plan.durationSpread ?? 0.2)));
  const resources = plan.resources.map(({ name, rows }) => allLoaded(name, Math.round(rows * noiseFactor(random, plan.rowSpread ?? 0.25))));
  const run: ScriptedRun = {
    index: slot.index,
    trigger: plan.trigger ?? 'scheduled',
    createdAt: slot.at,
    durationMs,
    completedAt: slot.at + durationMs,
    state: 'succeeded',
    resources,
    faults: faults.map((fault) => fault.kind),
  };
  // A failure comes last: it empties the resources other faults would change.
  for (const fault of faults) if (fault.kind !== 'fail') applyFault(run, fault, plan);
  for (const fault of faults) if (fault.kind === 'fail') applyFault(run, fault, plan);
  return run;
}

function hits(fault: FaultTiming, slot: Slot): boolean {
  if (fault.runs !== undefined && !fault.runs.includes(slot.index)) return false;
  if (fault.from !== undefined && slot.at < fault.from) return false;
  if (fault.until !== undefined && slot.at >= fault.until) return false;
  return fault.when === undefined || fault.when(slot);
}

function allLoaded(name: string, rows: number): ResourceCounts {
  return { name, extracted: rows, analyzed: rows, loaded: rows };
}

function applyFault(run: ScriptedRun, fault: RunFault, plan: RunPlan): void {
  switch (fault.kind) {
    case 'skip':
      return;
    case 'fail':
      run.state = 'failed';
      run.resources = [];
      run.errors = [fault.error ?? SIMULATED_FAILURE];
      return;
    case 'slow':
      run.durationMs = fault.durationMs ?? Math.round(run.durationMs * (fault.factor ?? 10));
      run.completedAt = run.createdAt + run.durationMs;
      return;
    case 'partial': {
      const index = resourceIndex(run, plan, fault.resource);
      const resource = run.resources[index] as ResourceCounts;
      const extracted = Math.max(1, resource.extracted ?? 0);
      // Always short by at least one row: a partial load that rounds back to whole would be no fault at all.
      const loaded = Math.min(extracted - 1, Math.floor(extracted * (fault.loadedRatio ?? 0.9)));
      run.resources[index] = { name: resource.name, extracted, analyzed: extracted, loaded, ...(fault.error === undefined ? {} : { errors: [fault.error] }) };
      return;
    }
    case 'volume-drop': {
      const index = resourceIndex(run, plan, fault.resource);
      const usual = plan.resources[index]?.rows ?? 0;
      run.resources[index] = allLoaded((run.resources[index] as ResourceCounts).name, Math.round(usual * (fault.ratio ?? 0)));
      return;
    }
  }
}

function resourceIndex(run: ScriptedRun, plan: RunPlan, name: string | undefined): number {
  if (run.resources.length === 0) throw new Error('simulator: partial and volume-drop faults need a plan with resources');
  if (name === undefined) return 0;
  const index = plan.resources.findIndex((resource) => resource.name === name);
  if (index === -1) throw new Error(`simulator: the plan has no resource ${JSON.stringify(name)}`);
  return index;
}

export interface HealthyRunOptions {
  /** Default 2026-01-01T00:00:00Z. */
  start?: number;
  /** Default 1h. */
  everyMs?: number;
  /** Default 5 min. */
  durationMs?: number;
  /** Default events (1,800 rows) and attendees (210 rows), as in Portable's published example. */
  resources?: readonly ResourcePlan[];
}

export const HEALTHY_RESOURCES: readonly ResourcePlan[] = [
  { name: 'events', rows: 1_800 },
  { name: 'attendees', rows: 210 },
];

/**
 * `count` succeeded runs, one per `everyMs`, with realistic noise (durations ±20%, rows ±25%, both truncated at 2.5
 * sigma): what a healthy flow looks like, and what no detection rule may alert on.
 */
export function healthyRuns(count: number, seed: number, options: HealthyRunOptions = {}): ScriptedRun[] {
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const everyMs = options.everyMs ?? 60 * MINUTE;
  const plan: RunPlan = {
    schedule: { everyMs, anchor: start },
    start,
    durationMs: options.durationMs ?? 5 * MINUTE,
    resources: options.resources ?? HEALTHY_RESOURCES,
    seed,
  };
  return Array.from({ length: count }, (_, index) => planRun(plan, { index, at: start + index * everyMs }) as ScriptedRun);
}

/** What to give the simulator's addAttempt for a finished run. */
export function toAttemptInput(run: ScriptedRun): AttemptInput {
  return {
    state: run.state,
    trigger: run.trigger,
    createdAt: run.createdAt,
    completedAt: run.completedAt,
    resources: run.resources,
    ...(run.errors === undefined ? {} : { errors: run.errors }),
  };
}

/** The run as the worker sees a finished attempt once normalised, for feeding detection directly. */
export function toRunAttempt(run: ScriptedRun, flowId: number, attemptId: number = run.index + 1): RunAttempt {
  return {
    id: attemptId,
    flowId,
    trigger: (['scheduled', 'manual', 'api'] as const).find((known) => known === run.trigger.toLowerCase()) ?? ('unknown' satisfies RunTrigger),
    state: run.state,
    createdAt: run.createdAt,
    createdAtUnreadable: false,
    completedAt: run.completedAt,
    resources: run.resources.map((resource) => ({ ...resource })),
    errors: run.errors ?? [],
    anomalies: [],
  };
}
