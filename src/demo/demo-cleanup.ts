import type { Writable } from 'node:stream';
import { writeLine } from '../commands/command.ts';

/**
 * Undoes what the demo started, newest first (the story, the worker, its keys, the connection, the simulator,
 * the private Redis), each step bounded in time so that a stuck one cannot keep the demo from exiting.
 */
export interface Cleanup {
  add(what: string, undo: () => Promise<void>): void;
  /** Runs the steps, newest first; true when every one succeeded. */
  run(): Promise<boolean>;
}

const STEP_TIMEOUT_MS = 10_000;

export function createCleanup(stderr: Writable): Cleanup {
  const steps: { what: string; undo: () => Promise<void> }[] = [];
  return {
    add(what, undo) {
      steps.push({ what, undo });
    },
    async run() {
      let ok = true;
      for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
        const problem = await withinTime(step.undo);
        if (problem === undefined) continue;
        ok = false;
        writeLine(stderr, `portable-watch demo: could not ${step.what}: ${problem}`);
      }
      return ok;
    },
  };
}

async function withinTime(undo: () => Promise<void>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${STEP_TIMEOUT_MS / 1000}s`), STEP_TIMEOUT_MS)));
  try {
    return await Promise.race([undo().then(() => undefined), late]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
