/**
 * 5. Replicas: two worker processes on one Redis and one prefix, started together. Every scheduled check is a
 * BullMQ job whose id names its flow and its slot (`repeat:flow-<id>:<epoch ms>`), and slots lie on a grid
 * (offset + k × pollEvery), so listening to the queue's completed events tells, per flow and per interval,
 * whether the check ran once, never, or twice. The flows' state versions and the simulator's per-flow request
 * counts check that listening lost nothing. Some flows fail meanwhile: each must be alerted exactly once.
 */
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { sleep, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { checksPerFlow, round } from '../redis-probe.ts';
import { alertsPerFlow, startSlackReceiver } from '../slack-receiver.ts';
import { seededRandom } from '../statistics.ts';
import { accountForChecks, analyseSlots, listenForChecks } from './check-slots.ts';
import { throughputNote, throughputOptions } from './check-throughput.ts';
import { measureThroughput } from './measure-throughput.ts';
import type { Scenario } from './scenario.ts';

/** Slots up to the end of the window must have finished this long after it. */
const GRACE_MS = 5_000;

export const replicas: Scenario = {
  name: 'replicas',
  what: 'two workers, 10,000 flows @20s for 60 s: each flow checked once per interval, alerts once; two against one',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 2_000 : 10_000);
    const everyMs = env.quick ? 5_000 : 20_000;
    const runMs = env.quick ? 20_000 : 60_000;
    const random = seededRandom(7);
    const failing = flowIds.filter(() => random() < 0.01);
    const receiver = await startSlackReceiver();
    let correctness;
    try {
      correctness = await withRig(env, 'replicas', async (rig) => {
        const simulator = await rig.startSimulator(flowIds);
        const yaml = benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: `${everyMs / 1000}s`, webhookUrl: receiver.webhookUrl, named: true });
        const listener = await listenForChecks(env.redisUrl, rig.prefix);
        try {
          const workers = await Promise.all([rig.startWorker('watch', yaml), rig.startWorker('watch', yaml)]);
          const windowStart = Date.now();
          const items = failing.map((flowId) => ({ flowId, delayMs: everyMs + Math.round(random() * (runMs - 2 * everyMs - GRACE_MS)) }));
          await simulator.link.request('scheduleFailures', { items });
          await sleep(runMs);
          const windowEnd = Date.now();
          await sleep(GRACE_MS);
          for (const worker of workers) await worker.stop();
          await sleep(500);
          const slots = analyseSlots(flowIds, everyMs, listener.completions, windowStart, windowEnd);
          const versions = await checksPerFlow(env.redis, rig.prefix, flowIds);
          const requests = new Map((await simulator.counts()).perFlow);
          const accounting = accountForChecks(flowIds, versions, requests, listener);
          return {
            slots,
            ...accounting,
            failedJobs: listener.failed(),
            reconcile: workers.map((worker) => ({ added: worker.started.reconcile.added.length, unchanged: worker.started.reconcile.unchanged })),
          };
        } finally {
          await listener.close();
        }
      });
    } finally {
      await receiver.close();
    }
    const posts = alertsPerFlow(receiver.posts);
    const missingAlerts = failing.filter((id) => !posts.has(id)).length;
    const duplicateAlerts = [...posts.values()].reduce((sum, alerts) => sum + Math.max(0, alerts.length - 1), 0);

    // One worker measured right before two: on a shared machine, a figure from minutes earlier would compare loads.
    const one = await measureThroughput(env, throughputOptions(env, 'watch', 'replicas-one'));
    const two = await measureThroughput(env, { ...throughputOptions(env, 'watch', 'replicas-two'), workers: 2 });
    const scenario = '5 replicas';
    const { slots } = correctness;
    const trust =
      `${correctness.firstChecksOnce} of ${flowIds.length} flows had exactly one first check (queued at reconciliation); ` +
      `${correctness.eventsUnaccounted} checks unaccounted for by events, ${correctness.requestMismatches} flows whose requests ≠ checks`;
    const figures: Figure[] = [
      {
        scenario,
        name: 'flow-intervals missed',
        value: slots.missed,
        unit: '',
        target: { op: '==', value: 0 },
        note:
          `of ${slots.expected} (${flowIds.length} flows @${everyMs / 1000}s, two workers, ${runMs / 1000} s); slot to check done p50 ${slots.latenessMs.p50} ms, ` +
          `p99 ${slots.latenessMs.p99} ms, max ${slots.latenessMs.max} ms; ${slots.skipped} checks skipped on a held lock, ${correctness.failedJobs} failed jobs`,
      },
      { scenario, name: 'flow-intervals checked twice', value: slots.doubled, unit: '', target: { op: '==', value: 0 }, note: trust },
      {
        scenario,
        name: 'duplicate alerts',
        value: duplicateAlerts,
        unit: '',
        target: { op: '==', value: 0 },
        note: `${failing.length} flows failed during the run; ${missingAlerts} not alerted`,
      },
      {
        scenario,
        name: 'throughput, two workers against one',
        value: round(two.checksPerSecond / Math.max(1, one.checksPerSecond), 2),
        unit: '×',
        note: `${two.checksPerSecond} against ${one.checksPerSecond} checks/s; two: ${throughputNote(two)}`,
      },
    ];
    return { figures, details: { ...correctness, failing: failing.length, missingAlerts, duplicateAlerts, twoWorkers: two, oneWorker: one } };
  },
};
