/**
 * What one action asked of a worker process costs Redis: the worker's own connection's commands and socket writes
 * (exact, counted in the worker process), and every client's commands and their time by INFO commandstats
 * (server-wide: a cross-check, which other clients of the same Redis disturb). Each is taken over a window of fixed
 * length, from which a window of the same length with nothing asked is subtracted, so the worker's background work
 * (BullMQ's stalled-job checks, timers) cancels out. Not CPU: in a window that short, the collection of garbage an
 * earlier request left lands at random.
 */
import type { Redis } from 'ioredis';
import type { WorkerHandle } from './bench-rig.ts';
import { sleep } from './bench-rig.ts';
import { percentile } from './statistics.ts';

export interface Traffic {
  /** Commands the worker sent on its shared connection, pipelined ones included. */
  commands: number;
  /** Socket writes on that connection: one per command sent alone, one per pipeline (round trips, at most). */
  writes: number;
  /** Commands Redis executed for every client (INFO commandstats). */
  serverCommands: number;
  /** Time Redis spent executing them, in ms (INFO commandstats usec). */
  serverMs: number;
  /** The worker's commands by name. */
  byCommand: Record<string, number>;
}

interface Reading {
  commands: Record<string, number>;
  writes: number;
  server: { calls: number; usec: number };
}

export interface TrafficMeter {
  /** The traffic of a window of the meter's length in which `action` runs (idle when none). */
  window(action?: () => Promise<unknown>): Promise<Traffic>;
  /**
   * `action`'s traffic: its window minus an idle one, the median of `pairs` pairs (a periodic task may land in one).
   * `before` runs between the idle window and the action's, outside both.
   */
  cost(action: () => Promise<unknown>, options: { pairs: number; before?: () => Promise<void> }): Promise<Traffic & { samples: number[] }>;
}

export function createTrafficMeter(worker: WorkerHandle, redis: Redis, windowMs: number): TrafficMeter {
  const read = async (): Promise<Reading> => {
    const [stats, server] = await Promise.all([worker.stats(), serverTotals(redis)]);
    return { commands: stats.redisCommands, writes: stats.redisWrites, server };
  };
  const meter: TrafficMeter = {
    async window(action) {
      const before = await read();
      const startedAt = Date.now();
      await action?.();
      await sleep(Math.max(0, startedAt + windowMs - Date.now()));
      return between(before, await read());
    },
    async cost(action, options) {
      const costs: Traffic[] = [];
      for (let pair = 0; pair < options.pairs; pair += 1) {
        const idle = await meter.window();
        await options.before?.();
        costs.push(minus(await meter.window(action), idle));
      }
      const sorted = [...costs].sort((first, second) => first.commands - second.commands);
      const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? costs[0];
      if (median === undefined) throw new Error('nothing measured');
      const middle = (values: number[]) => percentile([...values].sort((first, second) => first - second), 50);
      return {
        commands: median.commands,
        writes: middle(costs.map((cost) => cost.writes)),
        serverCommands: middle(costs.map((cost) => cost.serverCommands)),
        serverMs: middle(costs.map((cost) => cost.serverMs)),
        byCommand: median.byCommand,
        samples: costs.map((cost) => cost.commands),
      };
    },
  };
  return meter;
}

function between(before: Reading, after: Reading): Traffic {
  const byCommand: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after.commands)) {
    const delta = calls - (before.commands[name] ?? 0);
    if (delta !== 0) byCommand[name] = delta;
  }
  return {
    commands: sum(Object.values(byCommand)),
    writes: after.writes - before.writes,
    serverCommands: after.server.calls - before.server.calls,
    serverMs: (after.server.usec - before.server.usec) / 1000,
    byCommand,
  };
}

function minus(measured: Traffic, idle: Traffic): Traffic {
  const byCommand: Record<string, number> = {};
  for (const name of new Set([...Object.keys(measured.byCommand), ...Object.keys(idle.byCommand)])) {
    const delta = (measured.byCommand[name] ?? 0) - (idle.byCommand[name] ?? 0);
    if (delta !== 0) byCommand[name] = delta;
  }
  return {
    commands: measured.commands - idle.commands,
    writes: measured.writes - idle.writes,
    serverCommands: measured.serverCommands - idle.serverCommands,
    serverMs: Math.round((measured.serverMs - idle.serverMs) * 10) / 10,
    byCommand,
  };
}

/** Every command's calls and time since Redis started, summed over commands. */
async function serverTotals(redis: Redis): Promise<{ calls: number; usec: number }> {
  let calls = 0;
  let usec = 0;
  for (const line of (await redis.info('commandstats')).split('\r\n')) {
    const match = /^cmdstat_[^:]+:calls=(\d+),usec=(\d+)/.exec(line);
    calls += Number(match?.[1] ?? 0);
    usec += Number(match?.[2] ?? 0);
  }
  return { calls, usec };
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
