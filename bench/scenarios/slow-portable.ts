/**
 * 6. Throughput when Portable is slow: scenario 1 again with every answer delayed 100 ms (the simulator's
 * `delay` fault on all requests). With checks in flight capped by the check concurrency, Little's law bounds
 * the rate at concurrency ÷ latency, so this figure is mostly about that setting.
 */
import type { Figure } from '../bench-report.ts';
import { round } from '../redis-probe.ts';
import { throughputNote, throughputOptions } from './check-throughput.ts';
import { measureThroughput } from './measure-throughput.ts';
import type { Scenario } from './scenario.ts';
import { DEFAULT_CHECK_CONCURRENCY } from '../../src/worker/watch-service.ts';

const LATENCY_MS = 100;

export const slowPortable: Scenario = {
  name: 'slow-portable',
  what: `throughput 1 with the simulator answering after ${LATENCY_MS} ms, against zero latency`,
  async run(env) {
    // Zero latency measured right before, not taken from scenario 1: the machine's load drifts within a run.
    const fast = await measureThroughput(env, throughputOptions(env, 'watch', 'fast-portable'));
    const slow = await measureThroughput(env, { ...throughputOptions(env, 'watch', 'slow-portable'), latencyMs: LATENCY_MS });
    const concurrency = env.checkConcurrency ?? DEFAULT_CHECK_CONCURRENCY;
    const bound = (concurrency * 1000) / LATENCY_MS;
    const scenario = '6 slow Portable';
    const figures: Figure[] = [
      { scenario, name: `checks/s, ${LATENCY_MS} ms answers`, value: slow.checksPerSecond, unit: 'checks/s', note: throughputNote(slow) },
      {
        scenario,
        name: 'as a share of zero latency',
        value: round((100 * slow.checksPerSecond) / Math.max(1, fast.checksPerSecond)),
        unit: '%',
        target: { op: '>=', value: 50 },
        note: `against ${fast.checksPerSecond} checks/s; concurrency ${concurrency} caps it at ${bound} checks/s (${concurrency} / ${LATENCY_MS} ms)`,
      },
    ];
    return { figures, details: { slow, fast, concurrency, littleBound: bound } };
  },
};
