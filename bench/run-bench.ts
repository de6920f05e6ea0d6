/**
 * `npm run bench`: the performance figures of issue 5 against the built-in simulator on loopback and the real
 * Redis (REDIS_URL), each beside its target. The bench's composition root: the one bench file that reads the
 * environment. Full runs write bench/results/latest.{json,md}; --quick and --only runs write dev.{json,md}.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parseBenchArgs, USAGE, type BenchArgs } from './bench-args.ts';
import { formatNumber, renderTable, verdict, writeResults, type Figure, type RunMeta } from './bench-report.ts';
import type { BenchEnv } from './bench-rig.ts';
import { alertStorm } from './scenarios/alert-storm.ts';
import { apiEconomy } from './scenarios/api-economy.ts';
import { checkThroughput } from './scenarios/check-throughput.ts';
import { detectionCost } from './scenarios/detection-cost.ts';
import { detectionLatency } from './scenarios/detection-latency.ts';
import { discovery } from './scenarios/discovery.ts';
import { failover } from './scenarios/failover.ts';
import { memoryFootprint } from './scenarios/memory-footprint.ts';
import { redisLoss } from './scenarios/redis-loss.ts';
import { replicas } from './scenarios/replicas.ts';
import type { Scenario } from './scenarios/scenario.ts';
import { slowPortable } from './scenarios/slow-portable.ts';
import { statusPage } from './scenarios/status-page.ts';

const SCENARIOS: Scenario[] = [checkThroughput, apiEconomy, detectionLatency, memoryFootprint, replicas, slowPortable, redisLoss, failover, detectionCost, alertStorm, discovery, statusPage];
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

function selectScenarios(only: string[] | undefined): Scenario[] {
  if (only === undefined) return SCENARIOS;
  const unknown = only.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((scenario) => scenario.name).join(', ')}`);
  return SCENARIOS.filter((scenario) => only.includes(scenario.name));
}

async function connect(redisUrl: string): Promise<Redis> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    const { hostname, port } = new URL(redisUrl);
    throw new Error(`cannot reach Redis at ${hostname}:${port || 6379}: start one, or set REDIS_URL`, { cause: error });
  }
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}

async function runScenarios(env: BenchEnv, scenarios: Scenario[]) {
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  let crashed = false;
  for (const scenario of scenarios) {
    const started = Date.now();
    console.log(`▶ ${scenario.name}: ${scenario.what}`);
    try {
      const result = await scenario.run(env);
      figures.push(...result.figures);
      details[scenario.name] = { ...result.details, durationS: Math.round((Date.now() - started) / 1000) };
      for (const figure of result.figures) console.log(`  ${figure.name}: ${formatNumber(figure.value, figure.digits)} ${figure.unit} ${verdict(figure)}`);
    } catch (error) {
      crashed = true;
      const message = error instanceof Error ? error.message : String(error);
      console.error(`  ${scenario.name} failed: ${error instanceof Error ? (error.stack ?? message) : message}`);
      figures.push({ scenario: scenario.name, name: 'scenario failed', value: null, unit: '', note: message.split('\n')[0] ?? '' });
    }
    console.log(`  (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  return { figures, details, crashed };
}

async function main(args: BenchArgs): Promise<number> {
  if (args.help) {
    console.log(`${USAGE}\n\nscenarios:\n${SCENARIOS.map((scenario) => `  ${scenario.name.padEnd(18)} ${scenario.what}`).join('\n')}`);
    return 0;
  }
  const scenarios = selectScenarios(args.only);
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const redis = await connect(redisUrl);
  const logDir = await mkdtemp(join(tmpdir(), 'portable-watch-bench-'));
  const started = Date.now();
  const loadAverageStart = loadavg();
  const env: BenchEnv = {
    redisUrl,
    redis,
    logDir,
    quick: args.quick,
    workerFlags: args.workerFlags,
    autoPipelining: args.autoPipelining,
    ...(args.cpuProfDir === undefined ? {} : { cpuProfDir: args.cpuProfDir }),
    ...(args.checkConcurrency === undefined ? {} : { checkConcurrency: args.checkConcurrency }),
  };
  console.log(`portable-watch bench: ${scenarios.length} scenario(s)${args.quick ? ', quick' : ''}; child logs in ${logDir}`);
  try {
    const { figures, details, crashed } = await runScenarios(env, scenarios);
    const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    const meta: RunMeta = {
      startedAt: new Date(started).toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      quick: args.quick,
      commit: gitCommit(),
      node: process.versions.node,
      cpus: availableParallelism(),
      loadAverageStart,
      loadAverageEnd: loadavg(),
      redisVersion,
    };
    const name = args.quick || args.only !== undefined ? 'dev' : 'latest';
    const written = await writeResults(RESULTS_DIR, name, { meta, figures, details });
    console.log(`\n${renderTable(figures)}\n\n${meta.durationS} s; load average ${meta.loadAverageEnd.map((load) => load.toFixed(2)).join(' ')}`);
    console.log(`written: ${written.json}, ${written.markdown}`);
    return crashed ? 1 : 0;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

main(parseBenchArgs(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
