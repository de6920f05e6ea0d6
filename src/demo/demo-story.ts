import type { AlertKind } from '../alerts/alert.ts';
import type { ResourceCounts } from '../portable/run-attempt.ts';
import type { AttemptInput, PortableSimulator } from '../simulator/portable-simulator.ts';

/**
 * The demo's script: six simulated flows, what Portable already reports for them when the worker starts, and
 * what happens to them afterwards, timed from the moment the worker starts. Every step is relative to that
 * moment, so each run of the demo tells the same story and raises the same alerts.
 */

export interface DemoFlow {
  id: number;
  name: string;
  /** The flow's own keys in the demo's config, written as an operator would (`schedule: 15s`). */
  settings?: Readonly<Record<string, string>>;
}

/**
 * Airflow starts the tickets flow, so Portable knows no schedule for it and its config states one. Seconds stand
 * in for hours, as maxRuntime's do; Portable's own schedules (15m and longer, re-read every 10m) would not fit.
 */
const TICKETS_EVERY_MS = 15_000;

export const DEMO_FLOWS = {
  orders: { id: 1001, name: 'Shopify orders to Snowflake', settings: { labels: '{ team: commerce }' } },
  events: { id: 1002, name: 'Segment events to BigQuery', settings: { labels: '{ team: growth }' } },
  invoices: { id: 1003, name: 'Stripe invoices to Postgres', settings: { labels: '{ team: finance }' } },
  contacts: { id: 1004, name: 'HubSpot contacts to Snowflake', settings: { labels: '{ team: growth }' } },
  tickets: { id: 1005, name: 'Zendesk tickets to Redshift', settings: { schedule: '15s', missedAfter: '1s', labels: '{ team: support }' } },
  ledger: { id: 1006, name: 'NetSuite ledger to BigQuery', settings: { labels: '{ team: finance }' } },
} as const satisfies Record<string, DemoFlow>;

/** Written into the demo's config; kept short so the whole story takes seconds (1s is the shortest pollEvery). */
export const DEMO_SETTINGS = { pollEvery: '1s', maxRuntime: '5s', backfill: '1h' } as const;
const MAX_RUNTIME_MS = 5_000;

const SECOND = 1_000;
const MINUTE = 60_000;

/**
 * When the tickets flow's next run is due. Its last run is seeded to have ended one period before, so the
 * expectation is anchored on the seed, a few milliseconds before the worker starts: the missed alert comes
 * missedAfter (1s) plus at most one poll after this, never before the step that announces it.
 */
const TICKETS_DUE_AT = 4_000;

export const ORDERS_ERROR = "Snowflake rejected the load: Table 'ANALYTICS.SHOPIFY.ORDERS' does not exist or not authorized.";
export const INVOICES_ERROR = 'Stripe API answered 401 Unauthorized: Invalid API Key provided: rk_live_****7Qx2';
export const LEDGER_ERROR = "BigQuery rejected 188 rows: Could not parse '1.204,50' as NUMERIC for field amount";
const LEDGER_EXTRACTED = 5_000;
const LEDGER_REJECTED = 188;

/** The alerts the story must produce, in the order they are expected, and what each one shows. */
export interface ExpectedAlert {
  flow: DemoFlow;
  kind: AlertKind;
  meaning: string;
}

export const EXPECTED_ALERTS: readonly ExpectedAlert[] = [
  { flow: DEMO_FLOWS.invoices, kind: 'failed', meaning: `an earlier failure, found by the first check (it looks back ${DEMO_SETTINGS.backfill})` },
  { flow: DEMO_FLOWS.orders, kind: 'failed', meaning: "a run failed; the alert carries Portable's error text" },
  {
    flow: DEMO_FLOWS.tickets,
    kind: 'missed',
    meaning: `a scheduled run (schedule: ${DEMO_FLOWS.tickets.settings.schedule}) did not start within missedAfter (${DEMO_FLOWS.tickets.settings.missedAfter})`,
  },
  { flow: DEMO_FLOWS.events, kind: 'stalled', meaning: `a run went on longer than its maxRuntime (${DEMO_SETTINGS.maxRuntime})` },
  { flow: DEMO_FLOWS.tickets, kind: 'recovered', meaning: 'the late run came' },
  { flow: DEMO_FLOWS.ledger, kind: 'partial', meaning: 'a run succeeded but loaded fewer rows than it extracted' },
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
  const { orders, events, invoices, contacts, tickets, ledger } = DEMO_FLOWS;
  // Their past: hourly runs before the latest, a few failed, so the status page's strips and charts have something
  // to show. Row counts match what the story's runs load, so nothing in the story looks like a volume drop.
  seedHistory(simulator, orders.id, now - 50 * MINUTE, 'orders', 18_240);
  seedHistory(simulator, events.id, now - 45 * MINUTE, 'pages', 96_311);
  seedHistory(simulator, ledger.id, now - 40 * MINUTE, 'journal_entries', 4_730);
  seedHistory(simulator, contacts.id, now - 35 * MINUTE, 'contacts', 37);
  seedHistory(simulator, invoices.id, now - 20 * MINUTE, 'invoices', 64);
  simulator.addAttempt(orders.id, finished('succeeded', now - 50 * MINUTE, [rows('orders', 18_240)]));
  simulator.addAttempt(events.id, finished('succeeded', now - 45 * MINUTE, [rows('pages', 96_311)]));
  simulator.addAttempt(ledger.id, finished('succeeded', now - 40 * MINUTE, [rows('journal_entries', 4_730)]));
  simulator.addAttempt(contacts.id, finished('succeeded', now - 35 * MINUTE, [rows('contacts', 1_205)]));
  // Refused at the first request: no rows were read, so Portable reports no counts.
  simulator.addAttempt(invoices.id, { ...finished('failed', now - 20 * MINUTE, []), errors: [INVOICES_ERROR] });
  const ticketsEndedAt = now + TICKETS_DUE_AT - TICKETS_EVERY_MS;
  simulator.addAttempt(tickets.id, ticketRun(ticketsEndedAt));
  return [
    `${orders.name}: last run succeeded 50 minutes ago.`,
    `${events.name}: last run succeeded 45 minutes ago.`,
    `${ledger.name}: last run succeeded 40 minutes ago.`,
    `${contacts.name}: last run succeeded 35 minutes ago.`,
    `${invoices.name}: last run FAILED 20 minutes ago, before the worker was watching.`,
    `${tickets.name}: started by Airflow, schedule: ${tickets.settings.schedule} in its config; last run ended ${(now - ticketsEndedAt) / SECOND}s ago.`,
  ];
}

const HISTORY_RUNS = 28;
const HOUR = 60 * MINUTE;

/** Hourly runs before `before`, oldest first; two of them failed, long enough ago to have recovered. */
function seedHistory(simulator: PortableSimulator, flowId: number, before: number, resource: string, count: number): void {
  for (let back = HISTORY_RUNS; back >= 1; back -= 1) {
    const createdAt = before - back * HOUR;
    // Durations of 1m30s to 3m, and loads within 3% of the usual count: a steady flow's past.
    const durationMs = (90 + ((flowId * 7 + back * 13) % 90)) * SECOND;
    const loaded = Math.round(count * (1 + (((flowId + back * 5) % 7) - 3) / 100));
    if (back === 9 || back === 21) {
      simulator.addAttempt(flowId, { state: 'failed', createdAt, completedAt: createdAt + 20 * SECOND, resources: [], errors: ['The source answered 503 Service Unavailable; the next run retries'] });
      continue;
    }
    simulator.addAttempt(flowId, { state: 'succeeded', createdAt, completedAt: createdAt + durationMs, resources: [rows(resource, loaded)] });
  }
}

function finished(state: 'succeeded' | 'failed', createdAt: number, resources: ResourceCounts[]) {
  return { state, createdAt, completedAt: createdAt + 2 * MINUTE, resources };
}

/** A short run of the tickets flow, started through Portable's API, that ended at `endedAt`. */
function ticketRun(endedAt: number): AttemptInput {
  return { state: 'succeeded', trigger: 'api', createdAt: endedAt - SECOND, completedAt: endedAt, resources: [rows('tickets', 318)] };
}

function rows(name: string, count: number): ResourceCounts {
  return { name, extracted: count, analyzed: count, loaded: count };
}

/**
 * The timed steps. A step that raises an alert comes at least 1.2 s after the moment the previous alert became
 * due (a poll, 1s, plus a delivery), so the alerts reach the terminal in the order the story tells them. Each step
 * keeps what it needs from an earlier one (the attempt it finishes) in this closure.
 */
export function storySteps(): StoryStep[] {
  const { orders, events, invoices, contacts, tickets, ledger } = DEMO_FLOWS;
  let ordersRun: number | undefined;
  const hangStartsAt = 1_500;
  return [
    {
      at: 1_000,
      flow: orders,
      narration: 'a run starts.',
      act: (simulator, now) => {
        ordersRun = simulator.addAttempt(orders.id, { state: 'running', createdAt: now, resources: [{ name: 'orders', extracted: 412, analyzed: null, loaded: null }] }).id;
      },
    },
    {
      at: hangStartsAt,
      flow: events,
      narration: 'a run starts… and will never finish.',
      act: (simulator, now) => void simulator.addAttempt(events.id, { state: 'running', createdAt: now }),
    },
    {
      at: 2_000,
      flow: contacts,
      narration: 'a run succeeds. Healthy flows stay quiet: no alert.',
      act: (simulator, now) => {
        simulator.addAttempt(contacts.id, { state: 'succeeded', createdAt: now - 3_000, completedAt: now, resources: [rows('contacts', 37)] });
      },
    },
    {
      at: 2_500,
      flow: orders,
      narration: 'the run fails.',
      act: (simulator, now) => {
        if (ordersRun === undefined) return;
        simulator.updateAttempt(orders.id, ordersRun, { state: 'failed', completedAt: now, errors: [ORDERS_ERROR] });
      },
    },
    {
      at: TICKETS_DUE_AT,
      flow: tickets,
      narration: `its run is due now… and Airflow does not start it (missedAfter: ${tickets.settings.missedAfter} of grace).`,
    },
    {
      // Told as the limit is reached: only a check after this moment finds the run past it.
      at: hangStartsAt + MAX_RUNTIME_MS,
      flow: events,
      narration: `the run reaches its maxRuntime (${DEMO_SETTINGS.maxRuntime}) and is still going.`,
    },
    {
      // The next run is then due a period later, long after the story ends: the gap is alerted once.
      at: 7_900,
      flow: tickets,
      narration: 'Airflow is back; the late run comes in and succeeds.',
      act: (simulator, now) => void simulator.addAttempt(tickets.id, ticketRun(now)),
    },
    {
      at: 9_200,
      flow: ledger,
      narration: 'a run succeeds… but BigQuery turned some rows away.',
      act: (simulator, now) => {
        const journal = { name: 'journal_entries', extracted: LEDGER_EXTRACTED, analyzed: LEDGER_EXTRACTED, loaded: LEDGER_EXTRACTED - LEDGER_REJECTED, errors: [LEDGER_ERROR] };
        simulator.addAttempt(ledger.id, { state: 'succeeded', createdAt: now - 4_000, completedAt: now, resources: [journal] });
      },
    },
    {
      at: 10_500,
      flow: invoices,
      narration: 'someone fixed the API key; the next run succeeds.',
      act: (simulator, now) => {
        simulator.addAttempt(invoices.id, { state: 'succeeded', createdAt: now - 2_000, completedAt: now, resources: [rows('invoices', 64)] });
      },
    },
  ];
}
