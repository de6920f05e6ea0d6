import type { Job, Queue } from 'bullmq';
import { ALERT_TITLES } from '../alerts/alert.ts';
import type { NotificationJobData } from '../delivery/notification-queue.ts';
import type { ExpectedAlert } from './demo-story.ts';
import type { SeenAlert } from './demo-terminal.ts';

/**
 * How the demo knows what the user has seen: the notification queue's finished deliveries, the same record the
 * worker keeps for every alert. A console delivery completes once the alert was written to the terminal.
 */

const POLL_MS = 200;

export type AlertWait = { outcome: 'seen'; seen: SeenAlert[] } | { outcome: 'timeout'; missing: ExpectedAlert[] } | { outcome: 'interrupted' };

export async function waitForAlerts(input: {
  queue: Queue<NotificationJobData>;
  notifier: string;
  expected: readonly ExpectedAlert[];
  deadline: number;
  now: () => number;
  signal: AbortSignal;
}): Promise<AlertWait> {
  const { queue, notifier, expected, signal } = input;
  for (;;) {
    if (signal.aborted) return { outcome: 'interrupted' };
    const delivered = (await queue.getJobs(['completed'])).filter((job) => job.data.notifier === notifier);
    const seen: SeenAlert[] = [];
    const missing: ExpectedAlert[] = [];
    for (const alert of expected) {
      const job = delivered.find((each) => each.data.alert.kind === alert.kind && each.data.alert.flow.id === alert.flow.id);
      if (job === undefined) missing.push(alert);
      else seen.push({ expected: alert, at: job.finishedOn ?? input.now() });
    }
    if (missing.length === 0) return { outcome: 'seen', seen: seen.sort((first, second) => first.at - second.at) };
    if (input.now() >= input.deadline) return { outcome: 'timeout', missing };
    await pause(POLL_MS, signal);
  }
}

export interface SlackReport {
  posted: number;
  /** Failed for good, or still being retried when the demo stopped waiting; with the last reason. */
  notPosted: { alert: string; reason: string }[];
}

/** Waits (until the deadline) for every Slack delivery to finish, then says how they went. */
export async function awaitSlackDeliveries(input: {
  queue: Queue<NotificationJobData>;
  notifier: string;
  count: number;
  deadline: number;
  now: () => number;
  signal: AbortSignal;
}): Promise<SlackReport> {
  const { queue, notifier, signal } = input;
  for (;;) {
    const jobs = (await queue.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active', 'prioritized'])).filter(
      (job) => job.data.notifier === notifier,
    );
    const posted = (await Promise.all(jobs.map((job) => job.isCompleted()))).filter(Boolean).length;
    const done = posted >= input.count || input.now() >= input.deadline || signal.aborted;
    if (done) return { posted, notPosted: await unposted(jobs) };
    await pause(POLL_MS, signal);
  }
}

async function unposted(jobs: Job<NotificationJobData>[]): Promise<SlackReport['notPosted']> {
  const result: SlackReport['notPosted'] = [];
  for (const job of jobs) {
    if (await job.isCompleted()) continue;
    const reason = job.failedReason ? job.failedReason : `not sent yet (${await job.getState()})`;
    result.push({ alert: `${ALERT_TITLES[job.data.alert.kind]}: ${job.data.alert.flow.name}`, reason });
  }
  return result;
}

/** Sleeps, waking early when the demo is interrupted. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
