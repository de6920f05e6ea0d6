import { getHeapSpaceStatistics } from 'node:v8';

/** What a bench child reports about itself: CPU spent so far and memory, now and at its peak. */
export interface ProcessStats {
  /** process.cpuUsage(), user + system, in ms since the process started. */
  cpuMs: number;
  rssBytes: number;
  /** Peak resident set size since the process started (getrusage maxrss). */
  maxRssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Memory of C++ objects bound to JavaScript ones, Buffers included. */
  externalBytes: number;
  /** V8's young generation as sized now: on a big machine it grows to tens of MB under a high allocation rate. */
  newSpaceBytes: number;
  /** When these were read (epoch ms). */
  at: number;
}

export function processStats(): ProcessStats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBytes: memory.rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    newSpaceBytes: getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0,
    at: Date.now(),
  };
}

/** Share of one core used between two readings, in percent. */
export function cpuPercent(before: ProcessStats, after: ProcessStats): number {
  const wallMs = after.at - before.at;
  return wallMs <= 0 ? 0 : (100 * (after.cpuMs - before.cpuMs)) / wallMs;
}
