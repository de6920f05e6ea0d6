import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialFlowState, type FlowState } from '../../src/detection/flow-state.ts';
import { readFlowStatus } from '../../src/status/read-flow-status.ts';
import { createFlowStateStore } from '../../src/state/flow-state-store.ts';
import { connectRedis, dropPrefix, testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { runCli } from '../support/run-cli.ts';

/**
 * What `status` reads of the incidents issue 11 added, from flow states as detection commits them to a real Redis:
 * a missed run, a partial load with a volume drop, and a state written before either existed.
 */

const NOW = Date.now();
const M = 60_000;
const H = 60 * M;

let redis: Redis;
let prefix: string;
let dir: string;

beforeEach(async () => {
  redis = connectRedis();
  prefix = uniquePrefix('status-quality');
  dir = await mkdtemp(join(tmpdir(), 'pw-status-quality-'));
});

afterEach(async () => {
  await dropPrefix(redis, prefix);
  await redis.quit();
  await rm(dir, { recursive: true, force: true });
});

function checked(overrides: Partial<FlowState>): FlowState {
  return { ...initialFlowState(), checkpoint: NOW - M, lastCheck: { at: NOW - M, outcome: 'alerted' }, lastSuccessAt: NOW - M, ...overrides };
}

async function storeStates(): Promise<void> {
  const store = createFlowStateStore(redis, prefix);
  const silent = checked({
    missed: { expectedAt: NOW - 4 * H, lastRunAt: NOW - 5 * H, since: NOW - 4 * H + 10 * M },
    lastRun: { attemptId: 8001, createdAt: NOW - 5 * H, completedAt: NOW - 5 * H + 10 * M },
  });
  const loadedPart = checked({
    partial: { attemptId: 8101, since: NOW - 20 * M },
    volume: { attemptId: 8101, since: NOW - 20 * M },
    lastRun: { attemptId: 8101, createdAt: NOW - 30 * M, completedAt: NOW - 20 * M },
  });
  expect(await store.commit('21', 0, silent)).toBe(true);
  expect(await store.commit('23', 0, loadedPart)).toBe(true);
  // As a worker from before issue 11 left it: none of the new fields.
  const old = { version: 3, checkpoint: NOW - M, known: {}, incident: null, lastFailure: null, monitor: null, monitorIncidents: 0, failingSince: null, lastCheck: { at: NOW - M, outcome: 'ok' }, lastSuccessAt: NOW - M, displayName: 'Legacy' };
  await redis.hset(`${prefix}:flow:24:state`, 'version', 3, 'state', JSON.stringify(old));
}

describe('reading the open missed, partial and volume incidents and the latest run', () => {
  it('gives each to the read model, and nothing for a state written before they existed', async () => {
    await storeStates();
    const report = await readFlowStatus({ redis, prefix, flows: [{ id: 21 }, { id: 23 }, { id: 24 }], now: NOW });
    const [silent, loadedPart, legacy] = report.flows;
    expect(silent).toMatchObject({
      missed: { expectedAt: NOW - 4 * H, lastRunAt: NOW - 5 * H, since: NOW - 4 * H + 10 * M },
      partial: null,
      volume: null,
      lastRun: { attemptId: 8001, createdAt: NOW - 5 * H, completedAt: NOW - 5 * H + 10 * M },
    });
    expect(loadedPart).toMatchObject({ missed: null, partial: { attemptId: 8101, since: NOW - 20 * M }, volume: { attemptId: 8101, since: NOW - 20 * M } });
    expect(legacy).toMatchObject({ name: 'Legacy', missed: null, partial: null, volume: null, lastRun: null, runIncident: null });
  });

  it('shows them in the table and the JSON of portable-watch status, and exits 2 on them with --fail-on-incident', async () => {
    await storeStates();
    const configPath = join(dir, 'flows.yaml');
    const flows = ['  - { id: 21, name: Hourly events }', '  - { id: 23, name: Shop }', '  - { id: 24 }'];
    await writeFile(configPath, ['portable: { token: "${PORTABLE_API_TOKEN}" }', 'notifiers:', '  terminal: { type: console }', 'defaults: { notify: [terminal] }', 'flows:', ...flows].join('\n'));
    const env = { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, PORTABLE_API_TOKEN: 'unused-by-status' };

    const table = await runCli(['status', '--config', configPath, '--fail-on-incident'], env);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(2);
    const lines = table.stdout.split('\n');
    const silentRow = lines.findIndex((line) => line.startsWith('21 '));
    expect(lines[silentRow]).toMatch(/ missed since 4h ago +—$/);
    expect(lines[silentRow + 1]?.trim()).toBe('missed run — last run 5h ago, one was expected 4h ago');
    expect(lines.find((line) => line.startsWith('23 '))).toMatch(/ partial 20m ago; volume 20m ago +—$/);
    expect(lines.find((line) => line.startsWith('24 '))).toMatch(/ Legacy .* — +—$/);
    expect(table.stdout).toContain('3 flows, 2 open incidents');

    const json = await runCli(['status', '--config', configPath, '--json'], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { openIncidents: number; flows: Array<Record<string, unknown>> };
    expect(parsed.openIncidents).toBe(2);
    const iso = (ms: number) => ({ ms, iso: new Date(ms).toISOString() });
    expect(parsed.flows[0]).toMatchObject({
      incident: null,
      missed: { kind: 'missed', expectedAt: iso(NOW - 4 * H), lastRunAt: iso(NOW - 5 * H) },
      lastRun: { attemptId: 8001, createdAt: iso(NOW - 5 * H), completedAt: iso(NOW - 5 * H + 10 * M) },
    });
    expect(parsed.flows[1]).toMatchObject({ partial: { kind: 'partial', attemptId: 8101 }, volume: { kind: 'volume', attemptId: 8101 } });
    expect(parsed.flows[2]).toMatchObject({ missed: null, partial: null, volume: null, lastRun: null });
  }, 30_000);
});
