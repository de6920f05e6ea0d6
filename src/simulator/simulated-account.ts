import type { ResourceCounts } from '../portable/run-attempt.ts';
import type { PortableSimulator } from './portable-simulator.ts';

/**
 * A Portable account to try the worker against (`portable-watch simulate`): a few flows whose runs fail, hang
 * and succeed on a loop, with an hour or more of history already there when it starts. Its first flow ids are
 * those of config/flows.example.yaml, so a copy of the example watches it as it is.
 */

export type SimulatedRole = 'fails' | 'hangs' | 'succeeds';

export interface AccountFlow {
  id: number;
  name: string;
  role: SimulatedRole;
  /** One line for the terminal: what its runs do. */
  behaviour: string;
}

export const FIRST_FLOW_ID = 689_422;
export const MAX_SIMULATED_FLOWS = 1_000;

/** A new run of each failing or succeeding flow this often; each run takes RUN_MS. */
export const RUN_EVERY_MS = 30_000;
const RUN_MS = 5_000;
const MINUTE = 60_000;
/** Past the 2h default maxRuntime when the simulator starts; it ends 10 minutes later. */
const HANGING_FOR_MS = 130 * MINUTE;
/** How long each later run of the hanging flow stays RUNNING. */
const HANG_MS = 140 * MINUTE;

export const SIMULATED_ERROR =
  "Snowflake rejected the load: Table 'ANALYTICS.EVENTS.PAGES' does not exist or not authorized. (simulated)";

const NAMES = [
  'Events to Snowflake',
  'Salesforce to BigQuery',
  'Stripe invoices to Postgres',
  'HubSpot contacts to Snowflake',
  'Shopify orders to BigQuery',
];

export function planAccount(count: number): AccountFlow[] {
  return Array.from({ length: count }, (_, index) => {
    const role: SimulatedRole = index === 0 ? 'fails' : index === 1 ? 'hangs' : 'succeeds';
    return { id: FIRST_FLOW_ID + index, name: NAMES[index] ?? `Simulated flow ${index + 1}`, role, behaviour: BEHAVIOUR[role] };
  });
}

const BEHAVIOUR: Record<SimulatedRole, string> = {
  fails: `a run every ${RUN_EVERY_MS / 1000} s: two fail, the third succeeds, on a loop (its last run before the start failed)`,
  hangs: `a run has been RUNNING for ${HANGING_FOR_MS / MINUTE} min (past the default maxRuntime of 2h) and succeeds 10 min after the start; each later run takes ${HANG_MS / MINUTE} min`,
  succeeds: `a run every ${RUN_EVERY_MS / 1000} s, each succeeds`,
};

export interface RunningAccount {
  stop(): void;
}

/**
 * Adds the flows with their history, then keeps them running until stop(). Attempts are only ever created at
 * the simulator's present, as Portable creates them: never backdated behind a watcher's checkpoint.
 */
export function runAccount(simulator: PortableSimulator, flows: readonly AccountFlow[], now: () => number = Date.now): RunningAccount {
  const start = now();
  const hanging = new Map<number, number>();
  for (const flow of flows) {
    simulator.addFlow({ id: flow.id, displayName: flow.name });
    seedHistory(simulator, flow, start);
    if (flow.role === 'hangs') hanging.set(flow.id, simulator.addAttempt(flow.id, { state: 'running', createdAt: start - HANGING_FOR_MS }).id);
  }
  const timers = new Set<NodeJS.Timeout>();
  let round = 0;
  const tick = () => {
    round += 1;
    const at = now();
    for (const flow of flows) {
      if (flow.role === 'hangs') {
        const running = hanging.get(flow.id);
        const attempt = running === undefined ? undefined : simulator.getAttempt(flow.id, running);
        if (attempt === undefined || at - attempt.createdAt < HANG_MS) continue;
        simulator.updateAttempt(flow.id, attempt.id, { state: 'succeeded', completedAt: at, resources: [rows(flow, 5_210)] });
        hanging.set(flow.id, simulator.addAttempt(flow.id, { state: 'running', createdAt: at }).id);
        continue;
      }
      const failing = flow.role === 'fails' && round % 3 !== 0;
      const attempt = simulator.addAttempt(flow.id, { state: 'running', createdAt: at });
      const finish = setTimeout(() => {
        timers.delete(finish);
        simulator.updateAttempt(flow.id, attempt.id, failing ? { state: 'failed', completedAt: now(), errors: [SIMULATED_ERROR], resources: [] } : { state: 'succeeded', completedAt: now(), resources: [rows(flow, 1_000 + round)] });
      }, RUN_MS);
      timers.add(finish);
    }
  };
  const loop = setInterval(tick, RUN_EVERY_MS);
  return {
    stop() {
      clearInterval(loop);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Six runs ten minutes apart; the failing flow's last one failed, so a first check finds it failing now. */
function seedHistory(simulator: PortableSimulator, flow: AccountFlow, start: number): void {
  const first = flow.role === 'hangs' ? start - HANGING_FOR_MS - 60 * MINUTE : start - 60 * MINUTE;
  for (let index = 0; index < 6; index += 1) {
    const createdAt = first + index * 10 * MINUTE;
    const failed = flow.role === 'fails' && index === 5;
    simulator.addAttempt(flow.id, {
      state: failed ? 'failed' : 'succeeded',
      createdAt,
      completedAt: createdAt + 2 * MINUTE,
      resources: failed ? [] : [rows(flow, 900 + index)],
      ...(failed ? { errors: [SIMULATED_ERROR] } : {}),
    });
  }
}

function rows(flow: AccountFlow, count: number): ResourceCounts {
  const name = (flow.name.split(' ')[0] ?? 'rows').toLowerCase();
  return { name, extracted: count, analyzed: count, loaded: count };
}
