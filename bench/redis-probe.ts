/**
 * What the bench reads from Redis, from outside the worker: checks done per flow (the version of each flow's
 * state goes up by one with every committed check), memory, CPU, and the commands the worker sent.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A prefix no other run uses, with a hash tag as in production. */
export function benchPrefix(scenario: string): string {
  return `{pwbench-${scenario}-${randomUUID().slice(0, 8)}}`;
}

/** Committed checks per flow so far: the version of its state (0 before the first check). */
export async function checksPerFlow(redis: Redis, prefix: string, flowIds: readonly number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (let index = 0; index < flowIds.length; index += 5_000) {
    const chunk = flowIds.slice(index, index + 5_000);
    const pipeline = redis.pipeline();
    for (const id of chunk) pipeline.hget(`${prefix}:flow:${id}:state`, 'version');
    const results = (await pipeline.exec()) ?? [];
    chunk.forEach((id, at) => counts.set(id, Number(results[at]?.[1] ?? 0)));
  }
  return counts;
}

/** The length of each flow's state JSON (its history included): mean and largest. */
export async function stateBytes(redis: Redis, prefix: string, flowIds: readonly number[]): Promise<{ mean: number; max: number }> {
  let total = 0;
  let max = 0;
  for (let index = 0; index < flowIds.length; index += 5_000) {
    const pipeline = redis.pipeline();
    for (const id of flowIds.slice(index, index + 5_000)) pipeline.hstrlen(`${prefix}:flow:${id}:state`, 'state');
    for (const [, length] of (await pipeline.exec()) ?? []) {
      total += Number(length ?? 0);
      max = Math.max(max, Number(length ?? 0));
    }
  }
  return { mean: Math.round(total / Math.max(1, flowIds.length)), max };
}

export async function totalChecks(redis: Redis, prefix: string, flowIds: readonly number[]): Promise<number> {
  let total = 0;
  for (const count of (await checksPerFlow(redis, prefix, flowIds)).values()) total += count;
  return total;
}

async function infoFields(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.info(section);
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
  }
  return fields;
}

export async function usedMemory(redis: Redis): Promise<number> {
  return Number((await infoFields(redis, 'memory')).get('used_memory') ?? 0);
}

/** Redis server CPU (user + system) in ms since it started. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const fields = await infoFields(redis, 'cpu');
  return 1000 * (Number(fields.get('used_cpu_user') ?? 0) + Number(fields.get('used_cpu_sys') ?? 0));
}

/** Calls per command since Redis started (or CONFIG RESETSTAT). Server-wide: other clients count too. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const [key, value] of await infoFields(redis, 'commandstats')) {
    const match = /calls=(\d+)/.exec(value);
    if (key.startsWith('cmdstat_') && match?.[1] !== undefined) calls.set(key.slice('cmdstat_'.length), Number(match[1]));
  }
  return calls;
}

/** Commands per check between two readings, most frequent first; commands under 0.05 per check are left out. */
export function commandsPerCheck(before: Map<string, number>, after: Map<string, number>, checks: number): Record<string, number> {
  const rows = [...after].map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / Math.max(1, checks)] as const);
  return Object.fromEntries(rows.filter(([, perCheck]) => perCheck >= 0.05).sort((a, b) => b[1] - a[1]).map(([name, perCheck]) => [name, round(perCheck, 2)]));
}

/** The prefix's own keys and what Redis says they take (MEMORY USAGE, sampled structures included). */
export async function prefixMemory(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found) pipeline.memory('USAGE', key);
    for (const [, usage] of (await pipeline.exec()) ?? []) bytes += Number(usage ?? 0);
    keys += found.length;
  } while (cursor !== '0');
  return { keys, bytes };
}

/** Deletes every key under the prefix. */
export { deleteKeysUnder as dropPrefix } from '../src/redis/delete-keys-under.ts';

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
