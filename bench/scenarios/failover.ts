/**
 * 8. A Sentinel failover: the real worker (`portable-watch start`, a process of its own) watches 100 flows at 1 s
 * through a Sentinel-watched master with one replica (down-after-milliseconds 1500); after a minute the master is
 * SIGKILLed and the sentinel promotes the replica. Measured: time from the kill to checks running at half their
 * normal rate again, checks in the minute after the kill against the minute before, and the alerts of flows that
 * failed at the kill (each exactly once).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisSentinel } from '../../test/redis/redis-topology.ts';
import { WORKER_NODE_FLAGS } from '../../src/worker/node-flags.ts';
import { benchConfigYaml, benchFlowIds } from '../bench-config.ts';
import { sleep, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { benchPrefix } from '../redis-probe.ts';
import { alertsPerFlow, startSlackReceiver } from '../slack-receiver.ts';
import type { Scenario } from './scenario.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export const failover: Scenario = {
  name: 'failover',
  what: 'the real worker through a Sentinel failover: seconds without checks, checks per minute before and after',
  async run(env) {
    const flowIds = benchFlowIds(100);
    const windowMs = env.quick ? 20_000 : 60_000;
    const failing = flowIds.slice(0, 5);
    const sentinel = await startRedisSentinel('bench-master', 'bench-redis-pw', 'bench-sentinel-pw', { replica: true, downAfterMs: 1_500 });
    const receiver = await startSlackReceiver();
    try {
      const measured = await withRig(env, 'failover', async (rig) => {
        const simulator = await rig.startSimulator(flowIds);
        const configPath = join(env.logDir, 'failover-flows.yaml');
        await writeFile(configPath, benchConfigYaml({ apiUrl: simulator.url, flowIds, pollEvery: '1s', webhookUrl: receiver.webhookUrl, named: true }));
        const logFile = openSync(join(env.logDir, 'failover-worker.log'), 'a');
        const worker = spawn(process.execPath, [...WORKER_NODE_FLAGS, CLI, 'start'], {
          stdio: ['ignore', logFile, logFile],
          env: {
            PATH: process.env.PATH ?? '',
            CONFIG_PATH: configPath,
            REDIS_SENTINELS: sentinel.addresses,
            REDIS_SENTINEL_NAME: 'bench-master',
            REDIS_SENTINEL_PASSWORD: 'bench-sentinel-pw',
            REDIS_URL: 'redis://:bench-redis-pw@unused.invalid:1',
            QUEUE_PREFIX: benchPrefix('failover-cli'),
            HTTP_PORT: '0',
          },
        });
        try {
          await sleep(10_000);
          const total = async () => (await simulator.counts()).total;
          const beforeStart = await total();
          await sleep(windowMs);
          const before = (await total()) - beforeStart;

          const killedAt = Date.now();
          const atKill = await total();
          await sentinel.killMaster();
          await simulator.link.request('addAttempts', { flowIds: failing, state: 'failed' });
          // Back at half the normal rate: a second with at least half the requests of an average second before.
          const normalPerSecond = before / (windowMs / 1000);
          let resumedAt: number | undefined;
          let last = atKill;
          while (Date.now() - killedAt < windowMs) {
            await sleep(250);
            const now = await total();
            if (resumedAt === undefined && (now - last) * 4 >= normalPerSecond / 2) resumedAt = Date.now();
            last = now;
          }
          const after = (await total()) - atKill;
          await sleep(5_000);
          return { before, after, resumedMs: resumedAt === undefined ? null : resumedAt - killedAt };
        } finally {
          worker.kill('SIGTERM');
          await new Promise((resolve) => worker.once('exit', resolve));
        }
      });
      const posts = alertsPerFlow(receiver.posts);
      const duplicates = [...posts.values()].reduce((sum, alerts) => sum + Math.max(0, alerts.length - 1), 0);
      const missing = failing.filter((id) => !posts.has(id)).length;
      const scenario = '8 failover';
      const figures: Figure[] = [
        {
          scenario,
          name: 'kill to checks at half their rate',
          value: measured.resumedMs,
          unit: 'ms',
          target: { op: '<=', value: 15_000 },
          note: '100 flows @1s; the sentinel needs 1.5 s to call the master down, then promotes the replica',
        },
        {
          scenario,
          name: 'checks in the window after the kill, against before',
          value: measured.before === 0 ? null : Math.round((measured.after / measured.before) * 100),
          unit: '%',
          note: `${measured.after} against ${measured.before} Portable requests in ${windowMs / 1000} s`,
        },
        {
          scenario,
          name: 'alerts of flows failed at the kill, duplicated or lost',
          value: duplicates + missing,
          unit: '',
          target: { op: '==', value: 0 },
          note: `${failing.length} flows failed as the master died: ${duplicates} duplicated, ${missing} not alerted`,
        },
      ];
      return { figures, details: { ...measured, duplicates, missing } };
    } finally {
      await Promise.all([receiver.close(), sentinel.close()]);
    }
  },
};
