/**
 * Plays a run plan into the simulator: history in the past in one call, then the future as its clock reaches it.
 * A run is created at its slot's time, running, and finished when its duration is up; a run already over at the
 * time asked for is created finished in one step, which is what makes seeding thirty days of history cheap.
 */
import type { FlowStore, SimulatedAttempt } from './flow-store.ts';
import { planRun, toAttemptInput, type RunPlan, type ScriptedRun } from './plan-run.ts';
import { createSlotCursor } from './run-slots.ts';

/** The part of the simulator (or of its flow store) a script writes to. */
export type RunTarget = Pick<FlowStore, 'addAttempt' | 'updateAttempt'>;

export interface RunScript {
  readonly flowId: number;
  /**
   * Creates the attempt of every slot up to `time` (finished when its run ended by then, else running) and finishes
   * the running ones whose end has come. Returns when it next has something to do. Times
   * before one already reached change nothing.
   */
  advanceTo(time: number): number;
  /** The attempts created so far, in order: skipped slots have none. */
  readonly runs: readonly ScriptedAttempt[];
}

export interface ScriptedAttempt {
  attemptId: number;
  run: ScriptedRun;
}

export function createRunScript(target: RunTarget, flowId: number, plan: RunPlan): RunScript {
  const cursor = createSlotCursor(plan.schedule, plan.start);
  const runs: ScriptedAttempt[] = [];
  /** Created and not yet finished; few at a time (one, unless runs overlap). */
  let running: ScriptedAttempt[] = [];
  let reached = Number.NEGATIVE_INFINITY;

  function create(run: ScriptedRun, time: number): void {
    const finished = run.completedAt <= time;
    const attempt: SimulatedAttempt = finished
      ? target.addAttempt(flowId, toAttemptInput(run))
      : target.addAttempt(flowId, { state: 'running', trigger: run.trigger, createdAt: run.createdAt, resources: [] });
    const created = { attemptId: attempt.id, run };
    runs.push(created);
    if (!finished) running.push(created);
  }

  function finish(time: number): void {
    if (running.length === 0) return;
    const due = running.filter(({ run }) => run.completedAt <= time).sort((a, b) => a.run.completedAt - b.run.completedAt);
    if (due.length === 0) return;
    for (const { attemptId, run } of due) {
      target.updateAttempt(flowId, attemptId, { state: run.state, completedAt: run.completedAt, resources: run.resources, ...(run.errors === undefined ? {} : { errors: run.errors }) });
    }
    running = running.filter(({ run }) => run.completedAt > time);
  }

  return {
    flowId,
    runs,
    advanceTo(time) {
      if (time > reached) {
        reached = time;
        for (let slot = cursor.current; slot.at <= time; slot = cursor.current) {
          const run = planRun(plan, slot);
          if (run !== undefined) create(run, time);
          cursor.advance();
        }
        finish(time);
      }
      return Math.min(cursor.current.at, ...running.map(({ run }) => run.completedAt));
    },
  };
}

/** setTimeout's longest wait; a later event is reached by waking up on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface PlayingScripts {
  stop(): void;
}

/**
 * Keeps the scripts moving with the clock until stop(): one timer, set for the earliest thing any script has to
 * do, so a thousand idle flows cost nothing between their runs.
 */
export function playRunScripts(scripts: readonly RunScript[], now: () => number = Date.now): PlayingScripts {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const step = () => {
    if (stopped) return;
    const at = now();
    let next = Number.POSITIVE_INFINITY;
    for (const script of scripts) next = Math.min(next, script.advanceTo(at));
    if (next === Number.POSITIVE_INFINITY) return;
    timer = setTimeout(step, Math.min(MAX_TIMER_MS, Math.max(0, next - now())));
  };
  step();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
