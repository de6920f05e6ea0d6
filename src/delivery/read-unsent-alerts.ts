import type { Job, JobType, Queue } from 'bullmq';
import type { AlertKind } from '../alerts/alert.ts';
import type { NotificationJobData } from './notification-queue.ts';

/**
 * The alerts the notifications queue holds and has not delivered, one per (alert, notifier) job, read for people
 * (`portable-watch alerts`, `status`): what waits for its first send, what is being retried after a failure, and
 * what was given up (a permanent refusal such as a revoked webhook, or every retry spent).
 */
export type UnsentState = 'waiting' | 'retrying' | 'given-up';

/** Whom an alert is about: one flow, the whole Portable account (a rejected token), or this installation. */
export type AlertScope = 'flow' | 'account' | 'installation';

export interface UnsentAlert {
  /** BullMQ job id: `<alert key>.<notifier>`. */
  jobId: string;
  key: string;
  kind: AlertKind;
  scope: AlertScope;
  /** The flow the alert is about; null for account- and installation-wide alerts. */
  flow: { id: number; name: string; account?: string } | null;
  notifier: string;
  state: UnsentState;
  /** When the job was queued (epoch ms). */
  queuedAt: number;
  /** Sends tried and failed so far. */
  attempts: number;
  maxAttempts: number;
  /** The last failure as delivery stored it (see deliver-notification.ts: never a URL or a token); null before any. */
  lastError: string | null;
  /** When the last send was tried; null before any. */
  lastTriedAt: number | null;
}

/** The field each state is counted in, wherever alerts are counted by state. */
export const COUNT_FIELD: Readonly<Record<UnsentState, 'waiting' | 'retrying' | 'givenUp'>> = {
  waiting: 'waiting',
  retrying: 'retrying',
  'given-up': 'givenUp',
};

export function countByState(alerts: readonly UnsentAlert[]): Record<'waiting' | 'retrying' | 'givenUp', number> {
  const counts = { waiting: 0, retrying: 0, givenUp: 0 };
  for (const alert of alerts) counts[COUNT_FIELD[alert.state]] += 1;
  return counts;
}

/** Jobs read per round trip: enough to hide latency, few enough to keep one answer small. */
const PAGE = 500;

const UNSENT_TYPES: ReadonlyArray<{ type: JobType; given: boolean }> = [
  { type: 'failed', given: true },
  { type: 'active', given: false },
  { type: 'delayed', given: false },
  { type: 'prioritized', given: false },
  { type: 'wait', given: false },
];

/**
 * Every unsent alert, given up first, then oldest first. Read-only: `queue` should be opened with
 * `skipMetasUpdate`. A job that moves between states while it is read may be seen in both; the first sighting
 * counts, so each job appears once.
 */
export async function readUnsentAlerts(queue: Queue<NotificationJobData>): Promise<UnsentAlert[]> {
  const seen = new Set<string>();
  const alerts: UnsentAlert[] = [];
  for (const { type, given } of UNSENT_TYPES) {
    for (const job of await readJobs(queue, type)) {
      if (job.id === undefined || seen.has(job.id)) continue;
      seen.add(job.id);
      const alert = unsentAlert(job, given ? 'given-up' : stateOf(job, type));
      if (alert !== undefined) alerts.push(alert);
    }
  }
  const order: Record<UnsentState, number> = { 'given-up': 0, retrying: 1, waiting: 2 };
  return alerts.sort((first, second) => order[first.state] - order[second.state] || first.queuedAt - second.queuedAt);
}

/** The given-up jobs themselves, for `alerts retry`. */
export function readGivenUpJobs(queue: Queue<NotificationJobData>): Promise<Array<Job<NotificationJobData>>> {
  return readJobs(queue, 'failed');
}

async function readJobs(queue: Queue<NotificationJobData>, type: JobType): Promise<Array<Job<NotificationJobData>>> {
  const jobs: Array<Job<NotificationJobData>> = [];
  for (let start = 0; ; start += PAGE) {
    const page = (await queue.getJobs([type], start, start + PAGE - 1, true)) as Array<Job<NotificationJobData>>;
    jobs.push(...page);
    if (page.length < PAGE) return jobs;
  }
}

/**
 * Delayed jobs were all tried already: a failed send waits out its backoff there, and so does one Slack asked to
 * wait (which spends no attempt). Any other job is retrying once a send has failed.
 */
function stateOf(job: Job, type: JobType): UnsentState {
  return type === 'delayed' || job.attemptsMade > 0 ? 'retrying' : 'waiting';
}

/** Job data is parsed leniently: a job this version did not write is shown with what can be read of it. */
function unsentAlert(job: Job<NotificationJobData>, state: UnsentState): UnsentAlert | undefined {
  const data = job.data as Partial<NotificationJobData> | undefined;
  const alert = data?.alert;
  if (job.id === undefined || typeof alert?.flow !== 'object' || typeof data?.notifier !== 'string') return undefined;
  const scope = alert.monitor?.scope ?? 'flow';
  const tried = job.finishedOn ?? job.processedOn;
  return {
    jobId: job.id,
    key: String(alert.key),
    kind: alert.kind,
    scope,
    flow: scope === 'flow' ? { id: Number(alert.flow.id), name: String(alert.flow.name), ...(typeof alert.flow.account === 'string' ? { account: alert.flow.account } : {}) } : null,
    notifier: data.notifier,
    state,
    queuedAt: job.timestamp,
    attempts: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    // No failure, or one stored without a message (BullMQ reads that back as none): null either way.
    lastError: job.failedReason || null,
    // attemptsStarted, not attemptsMade: a send Slack told to wait was tried, yet spent no attempt.
    lastTriedAt: job.attemptsStarted > 0 && tried !== undefined ? tried : null,
  };
}
