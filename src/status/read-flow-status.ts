import { DEFAULT_ACCOUNT, flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/connect-redis.ts';
import type { AlertKind } from '../alerts/alert.ts';
import { lastAlertKey } from '../delivery/deliver-notification.ts';
import { NOTIFICATION_QUEUE, type NotificationJobData } from '../delivery/notification-queue.ts';
import { readUnsentAlerts } from '../delivery/read-unsent-alerts.ts';
import { describeHold, readHeld } from '../delivery/held-alerts.ts';
import { digestKeys, waitingDigestsKey } from '../digests/digest-book.ts';
import type { FlowState, MonitorIncident, QualityIncident } from '../detection/flow-state.ts';
import { CHECK_QUEUE, schedulerId, type CheckJobData } from '../scheduling/reconcile-schedules.ts';
import { createFlowStateStore } from '../state/flow-state-store.ts';
import type { FlowStatus, HeldStatus, MonitorStatus, QualityStatus, StatusReport } from './flow-status.ts';
import { groupUnsentAlerts } from './group-unsent-alerts.ts';

export interface StatusTarget {
  id: number;
  /** Absent: the default account. */
  account?: string | undefined;
  name?: string | undefined;
}

/**
 * Reads what the worker recorded about each flow. Read-only by construction: only GET-style commands, and the
 * queue handle skips BullMQ's meta update (`skipMetasUpdate`), the one write that merely opening a queue makes.
 * Schedulers are read from their sorted set, not with `getJobSchedulers`, which deletes a scheduler whose data it
 * finds empty. A bounded number of round trips whatever the number of flows: pipelines and whole-set reads.
 */
export async function readFlowStatus(input: {
  redis: RedisConnection;
  prefix: string;
  flows: readonly StatusTarget[];
  now: number;
}): Promise<StatusReport> {
  const { redis, prefix, flows, now } = input;
  const ids = flows.map((flow) => flowKeyOf(flow));
  const store = createFlowStateStore(redis, prefix);
  const queue = readOnlyQueue<CheckJobData>(CHECK_QUEUE, redis, prefix);
  const notifications = readOnlyQueue<NotificationJobData>(NOTIFICATION_QUEUE, redis, prefix);
  try {
    const named = [...new Set(flows.flatMap((flow) => (flow.account === undefined || flow.account === DEFAULT_ACCOUNT ? [] : [flow.account])))].sort();
    const [states, account, others, lastAlerts, nextChecks, unsent, held, gathered] = await Promise.all([
      store.loadMany(ids),
      store.loadAccount(DEFAULT_ACCOUNT),
      Promise.all(named.map(async (name) => ({ account: name, monitor: monitorStatus((await store.loadAccount(name)).monitor) }))),
      readLastAlerts(redis, prefix, ids),
      readNextChecks(redis, queue, ids),
      readUnsentAlerts(notifications),
      readHeldByFlow(redis, prefix),
      readDigestMembersByFlow(redis, prefix),
    ]);
    const { byFlow, others: unsentElsewhere } = groupUnsentAlerts(unsent, ids);
    return {
      now,
      account: monitorStatus(account.monitor),
      ...(named.length === 0 ? {} : { otherAccounts: others.flatMap(({ account: name, monitor }) => (monitor === null ? [] : [{ account: name, monitor }])) }),
      otherUnsentAlerts: unsentElsewhere,
      flows: flows.map((flow, index): FlowStatus => {
        const key = ids[index] ?? flowKeyOf(flow);
        const state = states.get(key);
        return {
          id: flow.id,
          ...(flow.account === undefined ? {} : { account: flow.account }),
          name: flow.name ?? state?.displayName ?? null,
          lastCheck: state?.lastCheck ?? null,
          lastSuccessAt: state?.lastSuccessAt ?? null,
          checkpoint: state?.checkpoint ?? null,
          nextCheck: nextChecks[index] ?? null,
          runIncident: runIncident(state),
          lastFailure: state?.lastFailure ?? null,
          monitor: monitorStatus(state?.monitor ?? null),
          missed: missedStatus(state),
          partial: qualityStatus(state?.partial ?? null),
          volume: qualityStatus(state?.volume ?? null),
          lastRun: lastRun(state),
          lastAlert: lastAlerts[index] ?? null,
          unsentAlerts: byFlow.get(key) ?? [],
          held: held.get(key) ?? [],
          inDigest: [...(gathered.get(key) ?? new Map<string, number>())].map(([notifier, alerts]) => ({ notifier, alerts })),
          recentAttempts: recentAttempts(state),
        };
      }),
    };
  } finally {
    // The connection is ours, not the queues': close() leaves it open.
    await Promise.all([queue.close(), notifications.close()]);
  }
}

/**
 * A queue handle for reading, on a connection that is not its own. Its `error` events (the connection's, re-emitted)
 * are ignored: a read that fails rejects for its caller, and a worker's Redis outage is told once by the outage log.
 * Without a listener BullMQ prints each of them to stderr, a stack trace per reconnect attempt.
 */
export function readOnlyQueue<Data>(name: string, redis: RedisConnection, prefix: string): Queue<Data> {
  const queue = new Queue<Data>(name, { connection: redis, prefix, skipMetasUpdate: true });
  queue.on('error', () => undefined);
  return queue;
}

const OUTCOMES = { s: 'succeeded', f: 'failed', e: 'ended', u: 'unrecognised' } as const;

/** The state's compact strip (recent-attempts.ts), spelled out; a state written before it existed has none. */
function recentAttempts(state: FlowState | undefined): FlowStatus['recentAttempts'] {
  return (state?.recent ?? []).map(([attemptId, outcome, createdAtS, durationS]) => ({
    attemptId,
    outcome: OUTCOMES[outcome],
    createdAt: createdAtS * 1000,
    durationMs: durationS === null ? null : durationS * 1000,
  }));
}

function runIncident(state: FlowState | undefined): FlowStatus['runIncident'] {
  if (state?.incident == null) return null;
  const { kind, since, attemptId, firstError } = state.incident;
  return { kind, since, attemptId, ...(firstError === undefined ? {} : { error: firstError }) };
}

// Each picks the fields `status` promises, so what detection adds to its state later is not shown by accident.
function missedStatus(state: FlowState | undefined): FlowStatus['missed'] {
  if (state?.missed == null) return null;
  const { expectedAt, lastRunAt, since } = state.missed;
  return { expectedAt, lastRunAt, since };
}

function qualityStatus(incident: QualityIncident | null): QualityStatus | null {
  return incident === null ? null : { attemptId: incident.attemptId, since: incident.since };
}

function lastRun(state: FlowState | undefined): FlowStatus['lastRun'] {
  if (state?.lastRun == null) return null;
  const { attemptId, createdAt, completedAt } = state.lastRun;
  return { attemptId, createdAt, completedAt };
}

function monitorStatus(monitor: MonitorIncident | null): MonitorStatus | null {
  if (monitor === null) return null;
  const { problem, message, since, alerted } = monitor;
  return { problem, message, since, alerted };
}

/** Written by `deliverNotification` after each successful send; the key layout is its. */
async function readLastAlerts(redis: RedisConnection, prefix: string, ids: readonly FlowKey[]): Promise<Array<FlowStatus['lastAlert']>> {
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(lastAlertKey(prefix, id));
  const results = (await pipeline.exec()) ?? [];
  return ids.map((_, index) => {
    const [error, value] = results[index] ?? [null, null];
    if (error) throw new Error(`cannot read the last alert of flow ${ids[index]}: ${error.message}`, { cause: error });
    return parseLastAlert(value as Record<string, string> | null);
  });
}

function parseLastAlert(hash: Record<string, string> | null): FlowStatus['lastAlert'] {
  const at = Number(hash?.at);
  if (hash?.kind === undefined || !Number.isFinite(at)) return null;
  return { kind: hash.kind as AlertKind, notifier: hash.notifier ?? '', at, key: hash.key ?? '' };
}

async function readHeldByFlow(redis: RedisConnection, prefix: string): Promise<Map<FlowKey, HeldStatus[]>> {
  const byFlow = new Map<FlowKey, HeldStatus[]>();
  for (const record of await readHeld(redis, prefix)) {
    const { alert } = record;
    const status: HeldStatus = { kind: alert.kind, key: alert.key, notifier: record.notifier, heldAt: record.heldAt, heldBy: describeHold(record.hold), until: record.hold.until };
    byFlow.set(flowKeyOf(alert.flow), [...(byFlow.get(flowKeyOf(alert.flow)) ?? []), status]);
  }
  return byFlow;
}

/** Members of every waiting digest, counted per flow and notifier (flow ids read from the stored alerts). */
async function readDigestMembersByFlow(redis: RedisConnection, prefix: string): Promise<Map<FlowKey, Map<string, number>>> {
  const byFlow = new Map<FlowKey, Map<string, number>>();
  for (const notifier of await redis.smembers(waitingDigestsKey(prefix))) {
    for (const json of Object.values(await redis.hgetall(digestKeys(prefix, notifier).digest))) {
      const flow = (JSON.parse(json) as { flow?: { id?: unknown; account?: unknown } }).flow;
      if (typeof flow?.id !== 'number') continue;
      const flowId = flowKeyOf({ id: flow.id, account: typeof flow.account === 'string' ? flow.account : undefined });
      const counts = byFlow.get(flowId) ?? new Map<string, number>();
      counts.set(notifier, (counts.get(notifier) ?? 0) + 1);
      byFlow.set(flowId, counts);
    }
  }
  return byFlow;
}

/**
 * When each flow's next check is due: the score of its Job Scheduler in the queue's `repeat` sorted set (what BullMQ's
 * getJobScheduler answers as `next`), read in one command for every flow rather than one script call per flow.
 * Undefined for a flow without a scheduler.
 */
async function readNextChecks(redis: RedisConnection, queue: Queue<CheckJobData>, ids: readonly FlowKey[]): Promise<Array<number | undefined>> {
  const reply: unknown = await redis.zrange(queue.keys.repeat ?? `${queue.qualifiedName}:repeat`, 0, '-1', 'WITHSCORES');
  const next = new Map<string, number>();
  for (const [member, score] of scoredMembers(reply)) {
    const at = Number(score);
    if (Number.isFinite(at)) next.set(member, at);
  }
  return ids.map((id) => next.get(schedulerId(id)));
}

/** ZRANGE … WITHSCORES as [member, score] pairs, whether Redis answered flat (RESP2) or in pairs (RESP3). */
function scoredMembers(reply: unknown): Array<[string, unknown]> {
  if (!Array.isArray(reply)) return [];
  if (reply.every((item) => Array.isArray(item))) return (reply as unknown[][]).map(([member, score]) => [String(member), score]);
  const pairs: Array<[string, unknown]> = [];
  for (let index = 0; index + 1 < reply.length; index += 2) pairs.push([String(reply[index]), reply[index + 1]]);
  return pairs;
}
