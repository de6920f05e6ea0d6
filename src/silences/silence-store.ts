import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { ROUTE_KINDS } from '../alerts/alert.ts';
import type { RedisConnection } from '../redis/connect-redis.ts';
import type { Silence } from './silence-types.ts';

/*
 * Silences live in one Redis hash, id → JSON, so every replica, `status` and the CLI see the same ones, and every
 * operation touches one key (legal on a Redis Cluster whatever the prefix). A silence is never changed once
 * written: it is added, it ends, or it is removed. That is what makes pruning safe without a script: deleting a
 * field that has ended is the same deletion whoever does it, as often as it is done.
 */

export interface SilenceStore {
  /** Stores a new silence under a fresh id (`s-` and 8 hex digits) and returns it. */
  add(input: Omit<Silence, 'id' | 'createdAt'>, now: number): Promise<Silence>;
  /** The silences not ended at `now` (in force or yet to start), soonest to end first; deletes the ended ones. */
  list(now: number): Promise<Silence[]>;
  /** The silences in force at `now` (startsAt <= now < endsAt), soonest to end first. */
  active(now: number): Promise<Silence[]>;
  /** The silence as stored; one that ended is returned until a `list` prunes it, so compare `endsAt` with the time. */
  get(id: string): Promise<Silence | undefined>;
  /** Deletes the silence; false when there is no such silence. */
  remove(id: string): Promise<boolean>;
}

/** The hash holding every silence of an installation; `status` and delivery read it too. */
export function silenceStoreKey(prefix: string): string {
  return `${prefix}:silences`;
}

/** A new id might already be taken (one in 4 billion per silence): try again this many times before giving up. */
const ID_ATTEMPTS = 5;

/**
 * `connection` may be a function, as for the flow-state store: after the watchdog replaces a stuck connection, the
 * store carries on with the new one.
 */
export function createSilenceStore(connection: RedisConnection | (() => RedisConnection), prefix: string): SilenceStore {
  const redis = typeof connection === 'function' ? connection : () => connection;
  const key = silenceStoreKey(prefix);

  async function list(now: number): Promise<Silence[]> {
    const stored = await redis().hgetall(key);
    const current: Silence[] = [];
    const ended: string[] = [];
    for (const [id, json] of Object.entries(stored)) {
      const silence = parseStoredSilence(json);
      // One this version cannot read (written by a newer one, or by hand) is left alone: it is not ours to delete.
      if (silence === undefined) continue;
      if (silence.endsAt <= now) ended.push(id);
      else current.push(silence);
    }
    if (ended.length > 0) await redis().hdel(key, ...ended);
    return current.sort((a, b) => a.endsAt - b.endsAt || a.id.localeCompare(b.id));
  }

  return {
    async add(input, now) {
      for (let attempt = 0; attempt < ID_ATTEMPTS; attempt += 1) {
        const silence: Silence = { ...input, id: `s-${randomBytes(4).toString('hex')}`, createdAt: now };
        if ((await redis().hsetnx(key, silence.id, JSON.stringify(silence))) === 1) return silence;
      }
      throw new Error(`could not find a free silence id after ${ID_ATTEMPTS} attempts: is ${key} full of silences?`);
    },
    list,
    async active(now) {
      return (await list(now)).filter((silence) => silence.startsAt <= now);
    },
    async get(id) {
      const json = await redis().hget(key, id);
      return json === null ? undefined : parseStoredSilence(json);
    },
    async remove(id) {
      return (await redis().hdel(key, id)) === 1;
    },
  };
}

const storedSilenceSchema = z.object({
  id: z.string(),
  flow: z.number().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  name: z.string().optional(),
  kinds: z.array(z.enum(ROUTE_KINDS)).optional(),
  startsAt: z.number(),
  endsAt: z.number(),
  reason: z.string(),
  createdAt: z.number(),
});

/** A silence as JSON in the hash, or undefined when it is not one this version can read. */
export function parseStoredSilence(json: string): Silence | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const result = storedSilenceSchema.safeParse(value);
  return result.success ? result.data : undefined;
}
