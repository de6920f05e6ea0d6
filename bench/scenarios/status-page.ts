/**
 * 12. The status page (issue 15): 1,000 named, labelled flows with 30 finished attempts each, watched by one worker
 * process that serves the page and /metrics as runWorker does. Once every flow was checked (each strip full), the
 * bench asks as a browser would, on loopback: GET / timed to its last byte, each request more than 2 s after the
 * last, so each starts a new read of Redis (the page is served from the last read while the next one runs: target
 * p95 ≤ 200 ms), a few within 2 s, and a few after 6 s unwatched, when the request waits for the read (same
 * target); the page's weight as brotli (target ≤ 300 KB), gzip and uncompressed; what one read of the page costs
 * the worker's CPU and Redis (commands, round trips), again with alerts waiting to be sent; and what a /metrics
 * scrape right after a page read adds.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { benchFlowIds, statusPageConfigYaml } from '../bench-config.ts';
import { sleep, waitUntil, withRig } from '../bench-rig.ts';
import type { Figure } from '../bench-report.ts';
import { fetchPage, HTTPS_BROWSER_ENCODINGS, PLAIN_HTTP_BROWSER_ENCODINGS, type PageFetch } from '../page-client.ts';
import { weighPage, type PageWeight } from '../page-weight.ts';
import { checksPerFlow, round, stateBytes } from '../redis-probe.ts';
import { percentile } from '../statistics.ts';
import { ATTEMPTS_PER_FLOW, endsFailing, labelledFlow, seedHistory } from '../status-page-history.ts';
import { createTrafficMeter, type Traffic, type TrafficMeter } from '../redis-traffic.ts';
import { NOTIFICATION_QUEUE } from '../../src/delivery/notification-queue.ts';
import { PROBE_INTERVAL_MS } from '../../src/metrics/worker-metrics.ts';
import type { Scenario } from './scenario.ts';

/** The watch service keeps its StatusReport 2 s (STATUS_MAX_AGE_MS): a request this long after the last reads Redis. */
const SNAPSHOT_EXPIRED_MS = 2_100;
/** After 6 s (STATUS_STALE_MS) the page no longer takes the last report: the request waits for a new read. */
const SNAPSHOT_TOO_OLD_MS = 6_500;
const TRAFFIC_WINDOW_MS = 1_500;

type Readings = Record<'pageRead' | 'pageKept' | 'scrapeAfterPage' | 'scrapeAlone' | 'pageReadWithUnsent', Traffic & { samples: number[] }>;

export const statusPage: Scenario = {
  name: 'status-page',
  what: '1,000 flows with 30 attempts each: GET / to the last byte (uncached), page weight, Redis commands per read',
  async run(env) {
    const flowIds = benchFlowIds(env.quick ? 200 : 1_000);
    const unsent = env.quick ? 50 : 200;
    return withRig(env, 'status-page', async (rig) => {
      const simulator = await rig.startSimulator(flowIds);
      await simulator.link.request('addHistory', { attempts: seedHistory(flowIds, Date.now()) });
      const worker = await rig.startWorker('watch', statusPageConfigYaml(simulator.url, flowIds.map(labelledFlow)), { serve: true });
      const port = worker.started.httpPort;
      if (port === undefined) throw new Error('the worker process serves no status page');
      const checked = await waitUntil(async () => [...(await checksPerFlow(env.redis, rig.prefix, flowIds)).values()].every((count) => count > 0), 60_000);
      if (!checked) throw new Error(`not every one of ${flowIds.length} flows was checked within 60 s`);

      // The premise, from the page itself: every flow a row, every row a full strip. Also the warm-up.
      const identity = await fetchPage(port, '/', undefined);
      const weight = weighPage(identity.text);
      if (identity.status !== 200 || weight.rows !== flowIds.length) throw new Error(`GET / answered ${identity.status} with ${weight.rows} rows for ${flowIds.length} flows`);
      const times = await timePage(port, env.quick ? 6 : 21, async () => (await worker.stats()).cpuMs);
      const meter = createTrafficMeter(worker, env.redis, TRAFFIC_WINDOW_MS);
      const traffic = await measureTraffic(meter, port, () => addUnsentAlerts(env.redis, rig.prefix, flowIds, unsent));
      const states = await stateBytes(env.redis, rig.prefix, flowIds);
      return summarise({ flows: flowIds.length, unsent, weight, identity, states, ...times, traffic });
    });
  },
};

/**
 * Uncached: each request after the StatusReport expired. Kept: a few in a row right after one. The worker's CPU per
 * request is taken over each whole series, less what it spends idle, so the garbage a request leaves is collected
 * inside the series and counted (a window per request would see the collection land in the next one).
 */
async function timePage(port: number, uncachedRequests: number, cpuMs: () => Promise<number>) {
  const series = async (run: () => Promise<void>) => {
    const [cpu, at] = [await cpuMs(), performance.now()];
    await run();
    return { cpuMs: (await cpuMs()) - cpu, wallMs: performance.now() - at };
  };
  // The first compressed answer warms brotli's path up; the identity one before it did not.
  await fetchPage(port, '/', HTTPS_BROWSER_ENCODINGS);
  const idle = await series(() => sleep(3_000));
  const idleShare = idle.cpuMs / idle.wallMs;
  const perRequest = (spent: { cpuMs: number; wallMs: number }, requests: number) => round((spent.cpuMs - idleShare * spent.wallMs) / requests);
  const uncached: PageFetch[] = [];
  const uncachedSpent = await series(async () => {
    for (let index = 0; index < uncachedRequests; index += 1) {
      await sleep(SNAPSHOT_EXPIRED_MS);
      uncached.push(await fetchPage(port, '/', HTTPS_BROWSER_ENCODINGS));
    }
    await sleep(1_000);
  });
  await sleep(SNAPSHOT_EXPIRED_MS);
  await fetchPage(port, '/', HTTPS_BROWSER_ENCODINGS);
  const kept: PageFetch[] = [];
  const keptSpent = await series(async () => {
    for (let index = 0; index < 5; index += 1) kept.push(await fetchPage(port, '/', HTTPS_BROWSER_ENCODINGS));
    await sleep(1_000);
  });
  const gzip = await fetchPage(port, '/', PLAIN_HTTP_BROWSER_ENCODINGS);
  const cold: PageFetch[] = [];
  for (let index = 0; index < 3; index += 1) {
    await sleep(SNAPSHOT_TOO_OLD_MS);
    cold.push(await fetchPage(port, '/', HTTPS_BROWSER_ENCODINGS));
  }
  return { uncached, kept, gzip, cold, cpu: { uncachedMs: perRequest(uncachedSpent, uncachedRequests), keptMs: perRequest(keptSpent, kept.length), idleShare: round(idleShare, 4) } };
}

async function measureTraffic(meter: TrafficMeter, port: number, addUnsent: () => Promise<void>): Promise<Readings> {
  const page = () => fetchPage(port, '/', HTTPS_BROWSER_ENCODINGS);
  const metrics = () => fetchPage(port, '/metrics', PLAIN_HTTP_BROWSER_ENCODINGS);
  const expired = () => sleep(SNAPSHOT_EXPIRED_MS);
  const pageRead = await meter.cost(page, { pairs: 5, before: expired });
  // Right after a read the StatusReport is kept: what is left is the page built, rendered and compressed.
  const pageKept = await meter.cost(page, { pairs: 3, before: () => expired().then(page).then(() => undefined) });
  // A scrape after the page has read takes its flow ages from the same StatusReport. Alone (the report and the
  // probes' round both stale), it reads the state itself: the comparison shows what the sharing saves.
  const probesExpired = () => sleep(PROBE_INTERVAL_MS + 100);
  const scrapeAfterPage = await meter.cost(metrics, { pairs: 3, before: () => probesExpired().then(page).then(() => undefined) });
  const scrapeAlone = await meter.cost(metrics, { pairs: 3, before: probesExpired });
  await addUnsent();
  const pageReadWithUnsent = await meter.cost(page, { pairs: 3, before: expired });
  return { pageRead, pageKept, scrapeAfterPage, scrapeAlone, pageReadWithUnsent };
}

/** Alerts whose send failed and waits to be retried in an hour, as a Slack outage leaves them: the page lists them. */
async function addUnsentAlerts(redis: Redis, prefix: string, flowIds: readonly number[], count: number): Promise<void> {
  const queue = new Queue(NOTIFICATION_QUEUE, { connection: redis, prefix });
  try {
    const jobs = flowIds.slice(0, count).map((id, index) => {
      const alert = { key: `bench-unsent-${id}`, kind: 'failed', flow: { id, name: labelledFlow(id, index).name } };
      return { name: 'failed', data: { alert, notifier: 'quiet' }, opts: { jobId: `${alert.key}.quiet`, delay: 3_600_000, attempts: 30 } };
    });
    await queue.addBulk(jobs);
  } finally {
    await queue.close();
  }
}

function summarise(measured: {
  flows: number;
  unsent: number;
  weight: PageWeight;
  identity: PageFetch;
  /** The flows' state JSON in Redis, which the StatusReport reads whole. */
  states: { mean: number; max: number };
  uncached: PageFetch[];
  kept: PageFetch[];
  gzip: PageFetch;
  /** Each after 6 s nobody looked: the request waits for the read. */
  cold: PageFetch[];
  /** The worker's CPU per request, over each series. */
  cpu: { uncachedMs: number; keptMs: number; idleShare: number };
  traffic: Readings;
}): { figures: Figure[]; details: Record<string, unknown> } {
  const { flows, weight, traffic } = measured;
  const { pageRead, scrapeAfterPage, scrapeAlone, pageReadWithUnsent } = traffic;
  const sorted = (fetched: PageFetch[]) => fetched.map((each) => each.ms).sort((first, second) => first - second);
  const times = sorted(measured.uncached);
  const keptMedian = percentile(sorted(measured.kept), 50);
  const browser = measured.uncached.at(-1);
  if (browser === undefined) throw new Error('no page timed');
  const scenario = '12 status page';
  const perUnsent = round((pageReadWithUnsent.commands - pageRead.commands) / measured.unsent, 2);
  const figures: Figure[] = [
    {
      scenario,
      name: 'GET / to the last byte, p95 (each request starts a read of Redis)',
      value: round(percentile(times, 95)),
      unit: 'ms',
      target: { op: '<=', value: 200 },
      note: `${flows.toLocaleString('en')} flows, ${weight.marks.toLocaleString('en')} marks (${ATTEMPTS_PER_FLOW} a row); ${times.length} requests 2.1 s apart (the StatusReport is kept 2 s; the page takes the last one while the next is read), brotli; slowest ${round(times.at(-1) ?? NaN)} ms`,
    },
    { scenario, name: 'GET / to the last byte, median (each request starts a read of Redis)', value: round(percentile(times, 50)), unit: 'ms' },
    {
      scenario,
      name: 'GET / to the last byte, slowest after 6 s unwatched (waits for the read)',
      value: round(Math.max(...measured.cold.map((each) => each.ms))),
      unit: 'ms',
      target: { op: '<=', value: 200 },
      note: `${measured.cold.length} requests, each 6.5 s after the last: ${measured.cold.map((each) => round(each.ms)).join(', ')} ms`,
    },
    { scenario, name: 'GET / to the last byte, median within 2 s (StatusReport kept)', value: round(keptMedian), unit: 'ms', note: `${measured.kept.length} requests in a row; still built, rendered and compressed each time` },
    {
      scenario,
      name: 'worker CPU per page request that reads Redis',
      value: measured.cpu.uncachedMs,
      unit: 'ms',
      note: `every thread, garbage collection included, over the ${times.length} requests; ${measured.cpu.keptMs} ms within 2 s (StatusReport kept); compressing this page once in the bench: brotli ${weight.brotliMs} ms, gzip ${weight.gzipMs} ms`,
    },
    {
      scenario,
      name: 'page weight, brotli (browser over HTTPS)',
      value: browser.wireBytes,
      unit: 'B',
      target: { op: '<=', value: 300 * 1024 },
      note: `${browser.encoding}; ${Math.round(browser.wireBytes / flows)} B a row; the strips are ${weight.stripShare} % of the markup; without them ${weight.brotliWithoutStrips.toLocaleString('en')} B`,
    },
    { scenario, name: 'page weight, gzip (browser over plain http)', value: measured.gzip.wireBytes, unit: 'B', note: `${measured.gzip.encoding}; browsers offer brotli over TLS only` },
    { scenario, name: 'page weight, uncompressed', value: measured.identity.wireBytes, unit: 'B', note: `${Math.round(measured.identity.wireBytes / flows).toLocaleString('en')} B a row` },
    {
      scenario,
      name: 'Redis commands per page read from Redis',
      value: pageRead.commands,
      unit: '',
      note: `the worker's connection; INFO commandstats (every client): ${pageRead.serverCommands} commands, ${pageRead.serverMs} ms in Redis; flow states ${round(measured.states.mean / 1024)} KB each, read whole`,
    },
    { scenario, name: 'Redis round trips (socket writes) per page read from Redis', value: pageRead.writes, unit: '', note: 'one per command sent alone, one per pipeline' },
    {
      scenario,
      name: `Redis commands per page read, ${measured.unsent} alerts unsent`,
      value: pageReadWithUnsent.commands,
      unit: '',
      note: `${perUnsent} more per alert waiting to be sent; ${pageReadWithUnsent.writes} round trips`,
    },
    {
      scenario,
      name: '/metrics right after a page read: Redis commands',
      value: scrapeAfterPage.commands,
      unit: '',
      note: `its flow ages come from the page's StatusReport; with that report stale a scrape costs ${scrapeAlone.commands} commands`,
    },
  ];
  const summary = (fetched: PageFetch) => ({ ms: round(fetched.ms, 2), wireBytes: fetched.wireBytes, encoding: fetched.encoding });
  return {
    figures,
    details: {
      flows,
      flowsEndingOnFailures: Array.from({ length: flows }, (_, index) => index).filter(endsFailing).length,
      uncachedMs: measured.uncached.map((fetched) => round(fetched.ms, 2)),
      keptMs: measured.kept.map((fetched) => round(fetched.ms, 2)),
      workerCpu: measured.cpu,
      brotli: summary(browser),
      gzip: summary(measured.gzip),
      identity: summary(measured.identity),
      weight,
      states: measured.states,
      unsentAlerts: measured.unsent,
      ...traffic,
    },
  };
}
