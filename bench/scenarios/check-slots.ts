/**
 * Which scheduled checks ran, heard from the check queue's event stream: a Job Scheduler's job id carries its
 * flow and its slot, and the adapter's return value is the check's outcome (`ok`, `alerted`, `error`, `skipped`).
 */
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { CHECK_QUEUE, scheduleOffset } from '../../src/scheduling/reconcile-schedules.ts';
import { percentile } from '../statistics.ts';

export interface Completion {
  /** Epoch ms of the slot the job was scheduled for. */
  slot: number;
  outcome: string;
  /** Epoch ms at which the bench heard of it: slot + queueing + check + event delivery. */
  heardAt: number;
}

export interface CheckListener {
  /** Scheduled checks per flow, in the order heard. */
  readonly completions: Map<number, Completion[]>;
  /** The one-off check reconciliation queues for a newly added flow (`first-check-<id>`), per flow. */
  readonly firstChecks: Map<number, number>;
  failed(): number;
  close(): Promise<void>;
}

const SCHEDULED_JOB_ID = /^repeat:flow-(\d+):(\d+)$/;
const FIRST_CHECK_JOB_ID = /^first-check-(\d+)$/;

export async function listenForChecks(redisUrl: string, prefix: string): Promise<CheckListener> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents(CHECK_QUEUE, { connection, prefix });
  const completions = new Map<number, Completion[]>();
  let failed = 0;
  const firstChecks = new Map<number, number>();
  events.on('completed', ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
    const first = FIRST_CHECK_JOB_ID.exec(jobId);
    if (first !== null && String(returnvalue) !== 'skipped') firstChecks.set(Number(first[1]), (firstChecks.get(Number(first[1])) ?? 0) + 1);
    const match = SCHEDULED_JOB_ID.exec(jobId);
    if (match === null) return;
    const flowId = Number(match[1]);
    const list = completions.get(flowId) ?? [];
    list.push({ slot: Number(match[2]), outcome: String(returnvalue), heardAt: Date.now() });
    completions.set(flowId, list);
  });
  events.on('failed', () => (failed += 1));
  await events.waitUntilReady();
  return {
    completions,
    firstChecks,
    failed: () => failed,
    async close() {
      await events.close();
      connection.disconnect();
    },
  };
}

export interface SlotAnalysis {
  /** Flow-intervals whose slot lay in the window. */
  expected: number;
  /** Slots in the window no check completed for (a skipped check counts as missed). */
  missed: number;
  /** Checks beyond one per flow and interval: a slot completed twice, or a check off the flow's slot grid. */
  doubled: number;
  /** Jobs that found the flow's lock held and did nothing. */
  skipped: number;
  /** From slot to completion heard, over the window's checks: a check later than pollEvery makes its scheduler skip a slot. */
  latenessMs: { p50: number; p99: number; max: number };
}

/** Slots between `from` and `to` (epoch ms) for every flow, against what completed. */
export function analyseSlots(flowIds: readonly number[], everyMs: number, completions: Map<number, Completion[]>, from: number, to: number): SlotAnalysis {
  const result: SlotAnalysis = { expected: 0, missed: 0, doubled: 0, skipped: 0, latenessMs: { p50: 0, p99: 0, max: 0 } };
  const lateness: number[] = [];
  for (const flowId of flowIds) {
    const offset = scheduleOffset(flowId, everyMs);
    const checked = new Map<number, number>();
    for (const { slot, outcome, heardAt } of completions.get(flowId) ?? []) {
      if (slot < from || slot > to) continue;
      lateness.push(heardAt - slot);
      if (outcome === 'skipped') {
        result.skipped += 1;
        continue;
      }
      checked.set(slot, (checked.get(slot) ?? 0) + 1);
    }
    const first = Math.ceil((from - offset) / everyMs) * everyMs + offset;
    const grid = new Set<number>();
    for (let slot = first; slot <= to; slot += everyMs) grid.add(slot);
    result.expected += grid.size;
    for (const slot of grid) if (!checked.has(slot)) result.missed += 1;
    for (const [slot, count] of checked) result.doubled += grid.has(slot) ? count - 1 : count;
  }
  lateness.sort((a, b) => a - b);
  result.latenessMs = { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness.at(-1) ?? 0 };
  return result;
}

/**
 * Whether listening missed anything: per flow, committed checks (state version) must equal the checks heard
 * (scheduled and first), and the simulator's requests must equal the committed checks (named flows: one each).
 */
export function accountForChecks(
  flowIds: readonly number[],
  versions: Map<number, number>,
  requests: Map<number, number>,
  listener: Pick<CheckListener, 'completions' | 'firstChecks'>,
) {
  let eventsUnaccounted = 0;
  let requestMismatches = 0;
  let firstChecksOnce = 0;
  const mismatchSample: unknown[] = [];
  for (const id of flowIds) {
    const committed = versions.get(id) ?? 0;
    const heard = (listener.completions.get(id) ?? []).filter((completion) => completion.outcome !== 'skipped');
    const first = listener.firstChecks.get(id) ?? 0;
    if (first === 1) firstChecksOnce += 1;
    eventsUnaccounted += Math.abs(committed - heard.length - first);
    if ((requests.get(id) ?? 0) !== committed) requestMismatches += 1;
    if (committed !== heard.length + first && mismatchSample.length < 3) {
      mismatchSample.push({ flowId: id, committed, first, requests: requests.get(id), heard: heard.map(({ slot, outcome }) => `${slot}:${outcome}`) });
    }
  }
  return { eventsUnaccounted, requestMismatches, firstChecksOnce, mismatchSample };
}
