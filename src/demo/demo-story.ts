import type { AlertKind } from '../alerts/alert.ts';
import type { ResourceCounts } from '../portable/run-attempt.ts';
import type { PortableSimulator } from '../simulator/portable-simulator.ts';

/**
 * The demo's script: four simulated flows, what Portable already reports for them when the worker starts, and
 * what happens to them afterwards, timed from the moment the worker starts. Every step is relative to that
 * moment, so each run of the demo tells the same story and raises the same alerts.
 */

export interface DemoFlow {
  id: number;
  name: string;
}

export const DEMO_FLOWS = {
  orders: { id: 1001, name: 'Shopify orders to Snowflake' },
  events: { id: 1002, name: 'Segment events to BigQuery' },
  invoices: { id: 1003, name: 'Stripe invoices to Postgres' },
  contacts: { id: 1004, name: 'HubSpot contacts to Snowflake' },
} as const satisfies Record<string, DemoFlow>;

/** Written into the demo's config; kept short so the whole story takes seconds (1s is the shortest pollEvery). */
export const DEMO_SETTINGS = { pollEvery: '1s', maxRuntime: '5s', backfill: '1h' } as const;
const MAX_RUNTIME_MS = 5_000;

const MINUTE = 60_000;

export const ORDERS_ERROR = "Snowflake rejected the load: Table 'ANALYTICS.SHOPIFY.ORDERS' does not exist or not authorized.";
export const INVOICES_ERROR = 'Stripe API answered 401 Unauthorized: Invalid API Key provided: rk_live_****7Qx2';

/** The alerts the story must produce, in the order they are expected, and what each one shows. */
export interface ExpectedAlert {
  flow: DemoFlow;
  kind: AlertKind;
  meaning: string;
}

export const EXPECTED_ALERTS: readonly ExpectedAlert[] = [
  { flow: DEMO_FLOWS.invoices, kind: 'failed', meaning: `an earlier failure, found by the first check (it looks back ${DEMO_SETTINGS.backfill})` },
  { flow: DEMO_FLOWS.orders, kind: 'failed', meaning: "a run failed; the alert carries Portable's error text" },
  { flow: DEMO_FLOWS.events, kind: 'stalled', meaning: `a run went on longer than its maxRuntime (${DEMO_SETTINGS.maxRuntime})` },
  { flow: DEMO_FLOWS.invoices, kind: 'recovered', meaning: 'a run succeeded again after the failure' },
];

export interface StoryStep {
  /** Milliseconds after the worker started. */
  at: number;
  flow: DemoFlow;
  /** One line told before the step happens. */
  narration: string;
  /** What changes in the simulated Portable; nothing for a step that only points something out. */
  act?: (simulator: PortableSimulator, now: number) => void;
}

/**
 * Adds the flows and their history to the simulator, as Portable would report them before the worker starts.
 * Returns one line per flow describing that history.
 */
export function seedStory(simulator: PortableSimulator, now: number): string[] {
  for (const flow of Object.values(DEMO_FLOWS)) simulator.addFlow({ id: flow.id, displayName: flow.name });
  const { orders, events, invoices, contacts } = DEMO_FLOWS;
  simulator.addAttempt(orders.id, finished('succeeded', now - 50 * MINUTE, [rows('orders', 18_240)]));
  simulator.addAttempt(events.id, finished('succeeded', now - 45 * MINUTE, [rows('pages', 96_311)]));
  simulator.addAttempt(contacts.id, finished('succeeded', now - 35 * MINUTE, [rows('contacts', 1_205)]));
  // Refused at the first request: no rows were read, so Portable reports no counts.
  simulator.addAttempt(invoices.id, { ...finished('failed', now - 20 * MINUTE, []), errors: [INVOICES_ERROR] });
  return [
    `${orders.name}: last run succeeded 50 minutes ago.`,
    `${events.name}: last run succeeded 45 minutes ago.`,
    `${contacts.name}: last run succeeded 35 minutes ago.`,
    `${invoices.name}: last run FAILED 20 minutes ago, before the worker was watching.`,
  ];
}

function finished(state: 'succeeded' | 'failed', createdAt: number, resources: ResourceCounts[]) {
  return { state, createdAt, completedAt: createdAt + 2 * MINUTE, resources };
}

function rows(name: string, count: number): ResourceCounts {
  return { name, extracted: count, analyzed: count, loaded: count };
}

/** The timed steps; each keeps what it needs from an earlier one (the attempt it finishes) in this closure. */
export function storySteps(): StoryStep[] {
  const { orders, events, invoices, contacts } = DEMO_FLOWS;
  let ordersRun: number | undefined;
  const hangStartsAt = 1_000;
  return [
    {
      at: hangStartsAt,
      flow: events,
      narration: 'a run starts… and will never finish.',
      act: (simulator, now) => void simulator.addAttempt(events.id, { state: 'running', createdAt: now }),
    },
    {
      at: 2_000,
      flow: orders,
      narration: 'a run starts.',
      act: (simulator, now) => {
        ordersRun = simulator.addAttempt(orders.id, { state: 'running', createdAt: now, resources: [{ name: 'orders', extracted: 412, analyzed: null, loaded: null }] }).id;
      },
    },
    {
      at: 3_500,
      flow: orders,
      narration: 'the run fails.',
      act: (simulator, now) => {
        if (ordersRun === undefined) return;
        simulator.updateAttempt(orders.id, ordersRun, { state: 'failed', completedAt: now, errors: [ORDERS_ERROR] });
      },
    },
    {
      at: 4_500,
      flow: contacts,
      narration: 'a run succeeds. Healthy flows stay quiet: no alert.',
      act: (simulator, now) => {
        simulator.addAttempt(contacts.id, { state: 'succeeded', createdAt: now - 3_000, completedAt: now, resources: [rows('contacts', 37)] });
      },
    },
    {
      at: hangStartsAt + MAX_RUNTIME_MS + 100,
      flow: events,
      narration: `the run has now been going for longer than maxRuntime (${DEMO_SETTINGS.maxRuntime}).`,
    },
    {
      at: 8_000,
      flow: invoices,
      narration: 'someone fixed the API key; the next run succeeds.',
      act: (simulator, now) => {
        simulator.addAttempt(invoices.id, { state: 'succeeded', createdAt: now - 2_000, completedAt: now, resources: [rows('invoices', 64)] });
      },
    },
  ];
}
