import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConfigReloader, type ConfigReloader, type ReloadOutcome } from '../../src/config/config-reloader.ts';
import type { WatchConfig } from '../../src/config/config-schema.ts';
import { eventually } from '../support/redis.ts';

const valid = (ids: number[]) =>
  ['portable: { token: t0k3n }', 'notifiers: { ops: { type: console } }', 'defaults: { notify: [ops] }', 'flows:', ...ids.map((id) => `  - { id: ${id} }`)].join('\n');

let dir: string;
let path: string;
let reloader: ConfigReloader | undefined;
let applied: WatchConfig[];
let outcomes: ReloadOutcome[];

function reloaderFor(initialText: string | undefined, apply?: (config: WatchConfig) => Promise<void>, log: Logger = pino({ level: 'silent' })): ConfigReloader {
  reloader = createConfigReloader({
    path,
    env: {},
    ...(initialText === undefined ? {} : { initialText }),
    log,
    debounceMs: 50,
    pollMs: 100,
    async apply(config) {
      await apply?.(config);
      applied.push(config);
      return { added: config.flows.map((flow) => flow.id), updated: [], removed: [] };
    },
    onResult: (outcome) => outcomes.push(outcome),
  });
  return reloader;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-reload-'));
  path = join(dir, 'flows.yaml');
  applied = [];
  outcomes = [];
});

afterEach(async () => {
  await reloader?.close();
  reloader = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('config reloader', () => {
  it('applies a changed file and ignores an event that changed nothing; a signal applies even an unchanged file', async () => {
    await writeFile(path, valid([1]));
    const subject = reloaderFor(valid([1]));
    expect(await subject.reload('file-change')).toEqual({ result: 'unchanged' });
    await writeFile(path, valid([1, 2]));
    expect(await subject.reload('file-change')).toEqual({ result: 'applied', added: 2, updated: 0, removed: 0 });
    expect(await subject.reload('file-change')).toEqual({ result: 'unchanged' });
    expect(await subject.reload('signal')).toMatchObject({ result: 'applied' });
    expect(applied.map((config) => config.flows.map((flow) => flow.id))).toEqual([[1, 2], [1, 2]]);
  });

  it('refuses an invalid file with every problem and applies nothing', async () => {
    await writeFile(path, valid([1]).replace('  - { id: 1 }', '  - { id: 1, pollEvery: 0.5s }\n  - { id: two }'));
    const outcome = await reloaderFor(undefined).reload('signal');
    expect(outcome.result).toBe('refused');
    const problems = outcome.result === 'refused' ? outcome.problems : [];
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/flows\[0\]\.pollEvery/);
    expect(problems.join('\n')).toMatch(/flows\[1\]\.id/);
    expect(applied).toHaveLength(0);
  });

  it('ends a refusal, logged once, when the file is put back to exactly the config running', async () => {
    await writeFile(path, valid([1]));
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const subject = reloaderFor(valid([1]), undefined, log);
    await writeFile(path, valid([1]).replace('{ id: 1 }', '{ id: 1, pollEvery: never }'));
    expect(await subject.reload('file-change')).toMatchObject({ result: 'refused' });
    await writeFile(path, valid([1]));
    expect(await subject.reload('file-change')).toEqual({ result: 'restored' });
    // Once over, it is over: the next event on the same file changes nothing.
    expect(await subject.reload('file-change')).toEqual({ result: 'unchanged' });
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['refused', 'restored', 'unchanged']);
    const restored = lines.filter((line) => line.msg.startsWith('config file matches the running config again'));
    expect(restored).toHaveLength(1);
    expect(restored[0]?.level).toBe(30);
    expect(applied).toHaveLength(0);
  });

  it('ends a refusal to apply (e.g. Redis was down) when the file is put back to the config running', async () => {
    await writeFile(path, valid([1]));
    const subject = reloaderFor(valid([1]), (config) => (config.flows.length > 1 ? Promise.reject(new Error('Redis is down')) : Promise.resolve()));
    await writeFile(path, valid([1, 2]));
    expect(await subject.reload('file-change')).toMatchObject({ result: 'refused', problems: ['could not apply the config: Redis is down'] });
    await writeFile(path, valid([1]));
    expect(await subject.reload('file-change')).toEqual({ result: 'restored' });
  });

  it('refuses a missing file and a config that cannot be applied, saying why', async () => {
    const missing = await reloaderFor(undefined).reload('signal');
    expect(missing).toMatchObject({ result: 'refused' });
    expect(JSON.stringify(missing)).toContain('flows.yaml');
    await reloader?.close();

    await writeFile(path, valid([3]));
    const outcome = await reloaderFor(undefined, () => Promise.reject(new Error('Redis is down'))).reload('signal');
    expect(outcome).toEqual({ result: 'refused', problems: ['could not apply the config: Redis is down'] });
  });

  it('notices the file being replaced (as editors and ConfigMaps do) and edited in place', async () => {
    await writeFile(path, valid([1]));
    reloaderFor(valid([1])).watch();
    await writeFile(join(dir, 'flows.yaml.tmp'), valid([1, 5]));
    const { rename } = await import('node:fs/promises');
    await rename(join(dir, 'flows.yaml.tmp'), path);
    await eventually(() => (applied.length === 1 ? true : undefined), 'the replaced file applied');
    await writeFile(path, valid([1, 5, 6]));
    await eventually(() => (applied.length === 2 ? true : undefined), 'the edited file applied');
    expect(applied[1]?.flows.map((flow) => flow.id)).toEqual([1, 5, 6]);
    expect(outcomes.filter((outcome) => outcome.result === 'applied')).toHaveLength(2);
  });
});
