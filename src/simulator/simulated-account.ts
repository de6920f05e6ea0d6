import type { PortableSimulator } from './portable-simulator.ts';
import { resourcesAt, rolePlan, ROLES, type SimulatedRole } from './role-plan.ts';
import { createRunScript, playRunScripts, type RunScript } from './run-script.ts';

/**
 * A Portable account to try the worker against (`portable-watch simulate`): a few flows on Portable schedules whose
 * runs fail, hang, succeed, miss their schedule and load short, with history already there when it starts. Its first
 * flow ids are those of config/flows.example.yaml, so a copy of the example watches it as it is.
 */

export type { SimulatedRole } from './role-plan.ts';
export { SIMULATED_ERROR } from './role-plan.ts';

export interface AccountFlow {
  id: number;
  name: string;
  role: SimulatedRole;
  /** Portable's schedule for the flow, as GET /v2/flows serves it. */
  frequency?: string;
  cron?: string;
  /** One line for the terminal: what its runs do. */
  behaviour: string;
}

export const FIRST_FLOW_ID = 689_422;
export const MAX_SIMULATED_FLOWS = 1_000;

const NAMES = [
  'Events to Snowflake',
  'Salesforce to BigQuery',
  'Stripe invoices to Postgres',
  'HubSpot contacts to Snowflake',
  'Shopify orders to BigQuery',
];

/** By position; every flow after these succeeds. */
const ROLE_ORDER: readonly SimulatedRole[] = ['fails', 'hangs', 'succeeds', 'misses', 'loads-short'];

export function planAccount(count: number): AccountFlow[] {
  return Array.from({ length: count }, (_, index) => {
    const role = ROLE_ORDER[index] ?? 'succeeds';
    return { id: FIRST_FLOW_ID + index, name: NAMES[index] ?? `Simulated flow ${index + 1}`, role, ...ROLES[role] };
  });
}

export interface RunningAccount {
  stop(): void;
}

/**
 * Adds the flows with their schedules and history as of `start`, and returns their scripts, which create the later
 * runs as their clock reaches them (each at its scheduled time: never backdated behind a watcher's checkpoint).
 */
export function seedAccount(simulator: Pick<PortableSimulator, 'addFlow' | 'addAttempt' | 'updateAttempt'>, flows: readonly AccountFlow[], start: number): RunScript[] {
  return flows.map((flow, position) => {
    simulator.addFlow({
      id: flow.id,
      displayName: flow.name,
      ...(flow.frequency === undefined ? {} : { frequency: flow.frequency }),
      ...(flow.cron === undefined ? {} : { cron: flow.cron }),
    });
    const script = createRunScript(simulator, flow.id, rolePlan(flow.role, resourcesAt(position), flow.id, start));
    script.advanceTo(start);
    return script;
  });
}

/** Adds the flows with their history, then keeps them running until stop(). */
export function runAccount(simulator: PortableSimulator, flows: readonly AccountFlow[], now: () => number = Date.now): RunningAccount {
  return playRunScripts(seedAccount(simulator, flows, now()), now);
}
