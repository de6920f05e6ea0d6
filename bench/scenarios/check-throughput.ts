/**
 * 1. Check throughput: quiet checks per second one worker sustains with 2,000 flows, beside the bare loop —
 * the same jobs making the same request and nothing else — measured in the same run, on the same machine.
 */
import type { BenchEnv } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { measureThroughput, type ThroughputMeasurement, type ThroughputOptions } from './measure-throughput.ts';
import type { Scenario } from './scenario.ts';

export function throughputOptions(env: BenchEnv, mode: ThroughputOptions['mode'], label: string): ThroughputOptions {
  return env.quick
    ? { mode, label, flows: 2_000, workers: 1, latencyMs: 0, warmupMs: 3_000, windowMs: 6_000 }
    : { mode, label, flows: 2_000, workers: 1, latencyMs: 0, warmupMs: 5_000, windowMs: 20_000 };
}

/** How a throughput figure was obtained, for the table's note column. */
export function throughputNote(measurement: ThroughputMeasurement): string {
  const cpu = measurement.workerCpuPercent.map((percent) => `${Math.round(percent)}%`).join('+');
  const load = measurement.saturated
    ? `saturated (≥ ${measurement.backlog.min} checks waiting)`
    : `NOT saturated (backlog reached 0): demand-capped, a lower bound`;
  return `${measurement.flows} flows @${measurement.everyMs / 1000}s, ${measurement.windowS} s; ${load}; worker CPU ${cpu}, ${measurement.workerCpuMsPerCheck} ms/check`;
}

export const checkThroughput: Scenario = {
  name: 'throughput',
  what: 'quiet checks/s of one worker (2,000 flows @0.5s, 20 s) against the bare BullMQ + got loop',
  async run(env) {
    const ours = await measureThroughput(env, throughputOptions(env, 'watch', 'throughput'));
    const bare = await measureThroughput(env, throughputOptions(env, 'bare', 'throughput-bare'));
    const ratio = (100 * ours.checksPerSecond) / Math.max(1, bare.checksPerSecond);
    const figures: Figure[] = [
      { scenario: '1 throughput', name: 'checks/s, one worker', value: ours.checksPerSecond, unit: 'checks/s', target: { op: '>=', value: 1_000 }, note: throughputNote(ours) },
      { scenario: '1 throughput', name: 'bare loop (job + same got request)', value: bare.checksPerSecond, unit: 'jobs/s', note: throughputNote(bare) },
      {
        scenario: '1 throughput',
        name: 'ours as a share of the bare loop',
        value: ratio,
        unit: '%',
        target: { op: '>=', value: 50 },
        note: bare.saturated ? 'measured back to back in this run' : 'bare loop not saturated: its capacity is higher, the true share lower',
      },
    ];
    return { figures, details: { watch: ours, bare } };
  },
};
