import { DEFAULT_ACCOUNT, type FlowKey } from '../accounts/flow-ref.ts';
import { alertLogKey } from '../delivery/alert-log.ts';
import { lastAlertKey } from '../delivery/deliver-notification.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import { runScript } from '../redis/run-script.ts';
import { initialFlowState, type FlowState } from '../detection/flow-state.ts';
import type { MonitorTracker } from '../detection/detect-monitor-events.ts';
import type { PortableSchedule } from '../detection/schedule.ts';

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
  redis.call('HDEL', KEYS[1], 'seeded')
  committed = 1
end
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return committed
`;

/**
 * Takes a flow's lease and, when taken, reads its state and the account's in the same round trip. Refuses when
 * the installation is not the one this worker knows (Redis lost everything since: the check must not run on an
 * empty state and alert history again) or while a rebuilt installation settles (replicas still seeding it). A
 * check that begins also notes when, for the watchdogs of every replica (KEYS[5]), and reads the flow's schedule as
 * Portable last gave it (KEYS[6], field ARGV[5]).
 */
const BEGIN_SCRIPT = `
if ARGV[3] ~= '' then
  local installation = redis.call('HMGET', KEYS[4], 'id', 'settledAt')
  if installation[1] ~= ARGV[3] then return { 'moved' } end
  if tonumber(installation[2] or '0') > tonumber(ARGV[4]) then return { 'settling' } end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return { 'busy' } end
redis.call('SET', KEYS[5], ARGV[4])
return { 'ok', redis.call('HGET', KEYS[2], 'state') or '', redis.call('HGET', KEYS[3], 'state') or '', redis.call('HGET', KEYS[6], ARGV[5]) or '' }
`;

/**
 * Puts back a state this process remembers after Redis lost it: only where nothing is stored, or where another
 * replica seeded an older one (`seeded` holds the seeded checkpoint). A state committed by a check is never
 * overwritten, and the first commit clears the mark.
 */
const SEED_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local seeded = redis.call('HGET', KEYS[1], 'seeded')
  if not seeded or tonumber(seeded) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'state', ARGV[2], 'seeded', ARGV[3])
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

/** `reminder`: the reminders sent of the open account incident (`repeatEvery`); null when none is open. */
export type AccountState = MonitorTracker & { version: number; reminder?: { key: string; sent: number; lastAt: number } | null };

export type BeginResult =
  | { outcome: 'begun'; state: FlowState; account: AccountState; portableSchedule: PortableSchedule | undefined }
  /** Another check holds the flow's lease. */
  | { outcome: 'busy' }
  /** The installation marker is gone or another one: Redis lost its state since this worker last looked. */
  | { outcome: 'moved' }
  /** A rebuilt installation waits for every replica to put back what it remembers. */
  | { outcome: 'settling' };

export interface FlowStateStore {
  load(flow: FlowKey): Promise<FlowState>;
  /** The flow's schedule as Portable last gave it; undefined when it has not been read yet. */
  loadSchedule(flow: FlowKey): Promise<PortableSchedule | undefined>;
  /**
   * The start of a check in one round trip: takes the flow's lease (which keeps checks of one flow apart across
   * jobs and replicas) and, when taken, reads the flow's and the account's state.
   */
  begin(flow: FlowKey, account: string, owner: string, ttlMs: number, now: number): Promise<BeginResult>;
  /** When a check last began in this installation, by any replica (epoch ms); undefined when none has. */
  lastCheckBegan(): Promise<number | undefined>;
  /**
   * Stores `next` as version `expectedVersion + 1` if nobody committed since it was loaded; false when another
   * check won. With `releaseOwner`, also gives that owner's lease back in the same round trip.
   */
  commit(flow: FlowKey, expectedVersion: number, next: FlowState, releaseOwner?: string): Promise<boolean>;
  loadMany(flows: readonly FlowKey[]): Promise<Map<FlowKey, FlowState>>;
  /** The account's own state (a rejected token is an incident of that account only). */
  loadAccount(account: string): Promise<AccountState>;
  commitAccount(account: string, expectedVersion: number, next: AccountState): Promise<boolean>;
  /** Keeps a lease alive while a check runs; false when it was lost. */
  extendLock(flow: FlowKey, owner: string, ttlMs: number): Promise<boolean>;
  unlock(flow: FlowKey, owner: string): Promise<void>;
  /** Deletes a flow's state, lease, last alert and schedule, and forgets what this process remembers of it. */
  remove(flow: FlowKey): Promise<void>;
  /** Drops what this process remembers of flows no longer watched. */
  forgetAllBut(flows: ReadonlySet<FlowKey>): void;
  /** The installation id `begin` insists on; undefined (the default) skips the test, as the dry-run path does. */
  setInstallation(id: string | undefined): void;
  /**
   * Writes back every state this process committed (flows and account) where Redis has none: after Redis lost
   * its data, checks resume from where they were instead of re-reading `backfill` and alerting it again.
   */
  seedRemembered(): Promise<{ flows: number; written: number }>;
}

/** The last state this process committed for one key, as written. */
interface Remembered {
  version: number;
  json: string;
  checkpoint: number;
}

/**
 * `connection` may be a function: after the watchdog replaces a stuck connection, the store (and what it
 * remembers) carries on with the new one.
 */
export function createFlowStateStore(connection: RedisConnection | (() => RedisConnection), prefix: string): FlowStateStore {
  const redis = typeof connection === 'function' ? connection : () => connection;
  const lastCheckKey = `${prefix}:last-check`;
  const stateKey = (flow: FlowKey) => `${prefix}:flow:${flow}:state`;
  const lockKey = (flow: FlowKey) => `${prefix}:flow:${flow}:lock`;
  const accountKey = (account: string) => accountStateKey(prefix, account);
  const isAccountKey = (key: string) => key.startsWith(`${prefix}:account:`);
  const installationKey = installationMarkerKey(prefix);
  const schedulesKey = portableSchedulesKey(prefix);
  // A string per flow (the JSON already built for Redis): what the process still knows if Redis forgets.
  const remembered = new Map<string, Remembered>();
  let installation = '';

  async function cas(key: string, expectedVersion: number, value: { version: number; checkpoint?: number | null }, release?: { key: string; owner: string }): Promise<boolean> {
    const version = expectedVersion + 1;
    const json = JSON.stringify({ ...value, version });
    const keys = release === undefined ? [key] : [key, release.key];
    const result = await runScript(redis(), COMMIT_SCRIPT, keys, [expectedVersion, version, json, release?.owner ?? '']);
    if (result !== 1) return false;
    remembered.set(key, { version, json, checkpoint: value.checkpoint ?? 0 });
    return true;
  }

  return {
    async load(flow) {
      return parseFlowState(await redis().hget(stateKey(flow), 'state'));
    },
    async loadMany(flows) {
      const pipeline = redis().pipeline();
      for (const flow of flows) pipeline.hget(stateKey(flow), 'state');
      const results = (await pipeline.exec()) ?? [];
      return new Map(flows.map((flow, index) => [flow, parseFlowState(results[index]?.[1] as string | null)]));
    },
    async loadSchedule(flow) {
      return parseSchedule(await redis().hget(schedulesKey, flow));
    },
    async begin(flow, account, owner, ttlMs, now) {
      const keys = [lockKey(flow), stateKey(flow), accountKey(account), installationKey, lastCheckKey, schedulesKey];
      const args = [owner, ttlMs, installation, now, flow];
      const [outcome, state, accountState, schedule] = (await runScript(redis(), BEGIN_SCRIPT, keys, args)) as [string, string?, string?, string?];
      if (outcome !== 'ok') return { outcome: outcome as 'busy' | 'moved' | 'settling' };
      return { outcome: 'begun', state: parseFlowState(state), account: parseAccountState(accountState), portableSchedule: parseSchedule(schedule) };
    },
    async lastCheckBegan() {
      const at = Number(await redis().get(lastCheckKey));
      return Number.isFinite(at) && at > 0 ? at : undefined;
    },
    commit: (flow, expectedVersion, next, releaseOwner) =>
      cas(stateKey(flow), expectedVersion, next, releaseOwner === undefined ? undefined : { key: lockKey(flow), owner: releaseOwner }),
    async loadAccount(account) {
      return parseAccountState(await redis().hget(accountKey(account), 'state'));
    },
    commitAccount: (account, expectedVersion, next) => cas(accountKey(account), expectedVersion, next),
    async extendLock(flow, owner, ttlMs) {
      return (await runScript(redis(), EXTEND_SCRIPT, [lockKey(flow)], [owner, ttlMs])) === 1;
    },
    async unlock(flow, owner) {
      await runScript(redis(), RELEASE_SCRIPT, [lockKey(flow)], [owner]);
    },
    async remove(flow) {
      remembered.delete(stateKey(flow));
      await redis().multi().del(stateKey(flow), lockKey(flow), lastAlertKey(prefix, flow), alertLogKey(prefix, flow)).hdel(schedulesKey, flow).exec();
    },
    forgetAllBut(flows) {
      const keep = new Set([...flows].map(stateKey));
      for (const key of remembered.keys()) if (!isAccountKey(key) && !keep.has(key)) remembered.delete(key);
    },
    setInstallation(id) {
      installation = id ?? '';
    },
    async seedRemembered() {
      const entries = [...remembered.entries()];
      const written = await Promise.all(
        entries.map(([key, entry]) => runScript(redis(), SEED_SCRIPT, [key], [entry.version, entry.json, entry.checkpoint])),
      );
      return { flows: entries.filter(([key]) => !isAccountKey(key)).length, written: written.filter((result) => result === 1).length };
    },
  };
}

/**
 * An account's state (its monitor incident: a rejected token). The default account keeps the key of versions before
 * accounts, so an upgraded installation still knows the incident it had open.
 */
export function accountStateKey(prefix: string, account: string): string {
  return account === DEFAULT_ACCOUNT ? `${prefix}:account:state` : `${prefix}:account:${account}:state`;
}

/** The hash whose `id` names this installation's current life in Redis; its absence means Redis lost everything. */
export function installationMarkerKey(prefix: string): string {
  return `${prefix}:installation`;
}

/** A hash of each watched flow's schedule as Portable gave it (JSON by flow id), written by the schedule refresh. */
export function portableSchedulesKey(prefix: string): string {
  return `${prefix}:schedules`;
}

/** Missing (null, or '' from the begin script): not read from Portable yet. */
function parseSchedule(raw: string | null | undefined): PortableSchedule | undefined {
  return raw ? (JSON.parse(raw) as PortableSchedule) : undefined;
}

/** A missing state (null, or '' from the begin script) is a fresh one. */
function parseAccountState(raw: string | null | undefined): AccountState {
  const fresh: AccountState = { version: 0, monitor: null, monitorIncidents: 0, failingSince: null };
  return { ...fresh, ...(JSON.parse(raw || '{}') as Partial<AccountState>) };
}

function parseFlowState(raw: string | null | undefined): FlowState {
  // Fields added by later versions get their defaults; a state written by an older version stays readable.
  return { ...initialFlowState(), ...(JSON.parse(raw || '{}') as Partial<FlowState>) };
}
