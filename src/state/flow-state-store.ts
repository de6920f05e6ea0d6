import { createHash } from 'node:crypto';
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
local committed = 0
if current == tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
  committed = 1
end
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return committed
`;

/** Takes a flow's lease and, when taken, reads its state and the account's in the same round trip. */
const BEGIN_SCRIPT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return false end
return { redis.call('HGET', KEYS[2], 'state') or '', redis.call('HGET', KEYS[3], 'state') or '' }
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
  /**
   * The start of a check in one round trip: takes the flow's lease (which keeps checks of one flow apart across
   * jobs and replicas) and, when taken, reads the flow's and the account's state; undefined when another check
   * holds the lease.
   */
  begin(flowId: number, owner: string, ttlMs: number): Promise<{ state: FlowState; account: AccountState } | undefined>;
  /**
   * Stores `next` as version `expectedVersion + 1` if nobody committed since it was loaded; false when another
   * check won. With `releaseOwner`, also gives that owner's lease back in the same round trip.
   */
  commit(flowId: number, expectedVersion: number, next: FlowState, releaseOwner?: string): Promise<boolean>;
  loadMany(flowIds: readonly number[]): Promise<Map<number, FlowState>>;
  loadAccount(): Promise<AccountState>;
  commitAccount(expectedVersion: number, next: AccountState): Promise<boolean>;
  /** Keeps a lease alive while a check runs; false when it was lost. */
  extendLock(flowId: number, owner: string, ttlMs: number): Promise<boolean>;
  unlock(flowId: number, owner: string): Promise<void>;
  remove(flowId: number): Promise<void>;
}

export function createFlowStateStore(redis: RedisConnection, prefix: string): FlowStateStore {
  const stateKey = (flowId: number) => `${prefix}:flow:${flowId}:state`;
  const lockKey = (flowId: number) => `${prefix}:flow:${flowId}:lock`;
  const accountKey = `${prefix}:account:state`;

  async function cas(key: string, expectedVersion: number, value: { version: number }, release?: { key: string; owner: string }): Promise<boolean> {
    const json = JSON.stringify({ ...value, version: expectedVersion + 1 });
    const keys = release === undefined ? [key] : [key, release.key];
    const result = await runScript(redis, COMMIT_SCRIPT, keys, [expectedVersion, expectedVersion + 1, json, release?.owner ?? '']);
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
    async begin(flowId, owner, ttlMs) {
      const result = (await runScript(redis, BEGIN_SCRIPT, [lockKey(flowId), stateKey(flowId), accountKey], [owner, ttlMs])) as [string, string] | null;
      if (result === null) return undefined;
      return { state: parseFlowState(result[0] || null), account: parseAccountState(result[1] || null) };
    },
    commit: (flowId, expectedVersion, next, releaseOwner) =>
      cas(stateKey(flowId), expectedVersion, next, releaseOwner === undefined ? undefined : { key: lockKey(flowId), owner: releaseOwner }),
    async loadAccount() {
      return parseAccountState(await redis.hget(accountKey, 'state'));
    },
    commitAccount: (expectedVersion, next) => cas(accountKey, expectedVersion, next),
    async extendLock(flowId, owner, ttlMs) {
      return (await runScript(redis, EXTEND_SCRIPT, [lockKey(flowId)], [owner, ttlMs])) === 1;
    },
    async unlock(flowId, owner) {
      await runScript(redis, RELEASE_SCRIPT, [lockKey(flowId)], [owner]);
    },
    async remove(flowId) {
      await redis.del(stateKey(flowId), lockKey(flowId));
    },
  };
}

function parseAccountState(raw: string | null): AccountState {
  const fresh: AccountState = { version: 0, monitor: null, monitorIncidents: 0, failingSince: null };
  return raw === null ? fresh : { ...fresh, ...(JSON.parse(raw) as Partial<AccountState>) };
}

/**
 * EVALSHA, falling back to EVAL once when Redis does not have the script yet (after a restart or a failover):
 * the script's text crosses the wire once per server, not once per check.
 */
async function runScript(redis: RedisConnection, script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
  const sha = scriptSha(script);
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}

const shas = new Map<string, string>();
function scriptSha(script: string): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

function parseFlowState(raw: string | null | undefined): FlowState {
  if (raw === null || raw === undefined) return initialFlowState();
  // Fields added by later versions get their defaults; a state written by an older version stays readable.
  return { ...initialFlowState(), ...(JSON.parse(raw) as Partial<FlowState>) };
}
