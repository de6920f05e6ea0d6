/**
 * The installation the status page bench shows: named, labelled flows with 30 finished attempts each in Portable,
 * half an hour apart, so every row's strip is full. Most succeed; some fail with the errors sources and warehouses
 * really give (some over several lines); one flow in twenty has failed its last three attempts, an open failure.
 * Seeded, so every run shows the same page.
 */
import type { LabelledFlow } from './bench-config.ts';
import type { PastAttempt } from './simulator-process.ts';
import { seededRandom } from './statistics.ts';

export const ATTEMPTS_PER_FLOW = 30;
const SPACING_MS = 30 * 60_000;
const FAILED_SHARE = 0.06;
const ENDED_SHARE = 0.01;
/** Flows whose index modulo this is OPEN_FAILURE_AT end on failures: their incident is open when watching begins. */
const OPEN_FAILURE_EVERY = 20;
const OPEN_FAILURE_AT = 7;
const OPEN_FAILURE_RUNS = 3;

const PIPELINES = [
  { name: 'shopify-orders-to-snowflake', warehouse: 'snowflake' },
  { name: 'hubspot-contacts-to-bigquery', warehouse: 'bigquery' },
  { name: 'stripe-charges-to-postgres', warehouse: 'postgres' },
  { name: 'salesforce-opportunities-to-redshift', warehouse: 'redshift' },
  { name: 'zendesk-tickets-to-snowflake', warehouse: 'snowflake' },
  { name: 'netsuite-invoices-to-bigquery', warehouse: 'bigquery' },
  { name: 'google-ads-spend-to-bigquery', warehouse: 'bigquery' },
  { name: 'klaviyo-events-to-snowflake', warehouse: 'snowflake' },
] as const;
const TEAMS = ['growth', 'finance', 'data-platform', 'support'] as const;

const ERRORS = [
  "SQL compilation error: Object 'ANALYTICS.RAW.ORDERS' does not exist or not authorized.",
  'Shopify API answered 429 Too Many Requests after 5 retries (GET /admin/api/2024-01/orders.json)',
  'HubSpot refused the connection: OAuth token expired. Reconnect the source to grant access again.',
  'connection to server at "10.0.3.12", port 5432 failed: timeout expired\nIs the server running on that host and accepting TCP/IP connections?',
  'Quota exceeded: Your table exceeded quota for imports or query appends per table. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas',
  'Stripe: Invalid API Key provided: sk_live_****************4kQx',
  "Load failed for table SALESFORCE_OPPORTUNITY: column 'AMOUNT__C' expected NUMBER(18,2), found 'n/a' in row 4812\n  at load step 3 of 4 (merge)\n  1,204 rows rejected",
  'Zendesk API: 503 Service Unavailable (maintenance window)',
] as const;

/** Flow `index` of the bench: `shopify-orders-to-snowflake-100001`, labelled with its team, environment and warehouse. */
export function labelledFlow(id: number, index: number): LabelledFlow {
  const pipeline = PIPELINES[index % PIPELINES.length] ?? PIPELINES[0];
  const team = TEAMS[Math.floor(index / PIPELINES.length) % TEAMS.length] ?? TEAMS[0];
  return { id, name: `${pipeline.name}-${id}`, labels: { team, env: index % 10 === 9 ? 'staging' : 'prod', warehouse: pipeline.warehouse } };
}

/** Whether flow `index` ends on failures (an incident open as the worker starts). */
export function endsFailing(index: number): boolean {
  return index % OPEN_FAILURE_EVERY === OPEN_FAILURE_AT;
}

/** Every flow's attempts, oldest first, the newest starting about half an hour before `now`. */
export function seedHistory(flowIds: readonly number[], now: number, seed = 12): PastAttempt[] {
  const random = seededRandom(seed);
  const attempts: PastAttempt[] = [];
  flowIds.forEach((flowId, index) => {
    for (let slot = 0; slot < ATTEMPTS_PER_FLOW; slot += 1) {
      const createdAt = now - (ATTEMPTS_PER_FLOW - slot) * SPACING_MS - Math.floor(random() * 10 * 60_000);
      // 40 s to 15 min: a minute-long incremental sync most of the time, a long full refresh now and then.
      const durationMs = Math.round(40_000 + random() ** 3 * 14 * 60_000);
      const draw = random();
      const failing = (endsFailing(index) && slot >= ATTEMPTS_PER_FLOW - OPEN_FAILURE_RUNS) || draw < FAILED_SHARE;
      const state = failing ? 'failed' : draw < FAILED_SHARE + ENDED_SHARE ? 'ended' : 'succeeded';
      const error = ERRORS[Math.floor(random() * ERRORS.length)] ?? ERRORS[0];
      attempts.push({ flowId, state, createdAt, completedAt: createdAt + durationMs, ...(state === 'failed' ? { errors: [error] } : {}) });
    }
  });
  return attempts;
}
