import type { RedisConnection } from '../redis/connect-redis.ts';
import { initialFlowState, type FlowState } from '../detection/flow-state.ts';
import type { MonitorTracker } from '../detection/detect-monitor-events.ts';

/**
 * Per-flow state in Redis, written with compare-and-set on a version: two checks of one flow that race (a
 * replica whose lock expired mid-check) cannot both commit, so the loser's alerts — already queued under the
 * same deterministic ids — are its only trace.
 */

const COMMIT_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
return 1
`;

const EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type AccountState = MonitorTracker & { version: number };

export interface FlowStateStore {
  load(flowId: number): Promise<FlowState>;
  /** Stores `next` as version `expectedVersion + 1` if nobody committed since it was loaded; false when another check won. */
  commit(flowId: number, expectedVersion: number, next: FlowState): Promise<boolean>;
  loadMany(flowIds: readonly number[]): Promise<Map<number, FlowState>>;
  loadAccount(): Promise<AccountState>;
  commitAccount(expectedVersion: number, next: AccountState): Promise<boolean>;
  /** A lease on one flow's checks: true when taken. Prevents overlapping checks across jobs and replicas. */
  lock(flowId: number, owner: string, ttlMs: number): Promise<boolean>;
  /** Keeps a lease alive while a check runs; false when it was lost. */
  extendLock(flowId: number, owner: string, ttlMs: number): Promise<boolean>;
  unlock(flowId: number, owner: string): Promise<void>;
  remove(flowId: number): Promise<void>;
}

export function createFlowStateStore(redis: RedisConnection, prefix: string): FlowStateStore {
  const stateKey = (flowId: number) => `${prefix}:flow:${flowId}:state`;
  const lockKey = (flowId: number) => `${prefix}:flow:${flowId}:lock`;
  const accountKey = `${prefix}:account:state`;

  async function cas(key: string, expectedVersion: number, value: { version: number }): Promise<boolean> {
    const json = JSON.stringify({ ...value, version: expectedVersion + 1 });
    const result = await redis.eval(COMMIT_SCRIPT, 1, key, expectedVersion, expectedVersion + 1, json);
    return result === 1;
  }

  return {
    async load(flowId) {
      return parseFlowState(await redis.hget(stateKey(flowId), 'state'));
    },
    async loadMany(flowIds) {
      const pipeline = redis.pipeline();
      for (const id of flowIds) pipeline.hget(stateKey(id), 'state');
      const results = (await pipeline.exec()) ?? [];
      return new Map(flowIds.map((id, index) => [id, parseFlowState(results[index]?.[1] as string | null)]));
    },
    commit: (flowId, expectedVersion, next) => cas(stateKey(flowId), expectedVersion, next),
    async loadAccount() {
      const raw = await redis.hget(accountKey, 'state');
      const fresh: AccountState = { version: 0, monitor: null, monitorIncidents: 0, failingSince: null };
      return raw === null ? fresh : { ...fresh, ...(JSON.parse(raw) as Partial<AccountState>) };
    },
    commitAccount: (expectedVersion, next) => cas(accountKey, expectedVersion, next),
    async lock(flowId, owner, ttlMs) {
      return (await redis.set(lockKey(flowId), owner, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async extendLock(flowId, owner, ttlMs) {
      return (await redis.eval(EXTEND_SCRIPT, 1, lockKey(flowId), owner, ttlMs)) === 1;
    },
    async unlock(flowId, owner) {
      await redis.eval(RELEASE_SCRIPT, 1, lockKey(flowId), owner);
    },
    async remove(flowId) {
      await redis.del(stateKey(flowId), lockKey(flowId));
    },
  };
}

function parseFlowState(raw: string | null | undefined): FlowState {
  if (raw === null || raw === undefined) return initialFlowState();
  // Fields added by later versions get their defaults; a state written by an older version stays readable.
  return { ...initialFlowState(), ...(JSON.parse(raw) as Partial<FlowState>) };
}
