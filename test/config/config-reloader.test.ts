import { unwatchFile, watchFile } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flowKey } from '../../src/accounts/flow-ref.ts';
import { createConfigReloader, type ConfigReloader, type ConfigReloaderOptions, type ReloadOutcome } from '../../src/config/config-reloader.ts';
import type { WatchConfig } from '../../src/config/config-schema.ts';
import { captureLog } from '../support/capture-log.ts';
import { eventually } from '../support/redis.ts';

const valid = (ids: number[]) =>
  ['portable: { token: t0k3n }', 'notifiers: { ops: { type: console } }', 'defaults: { notify: [ops] }', 'flows:', ...ids.map((id) => `  - { id: ${id} }`)].join('\n');

let dir: string;
let path: string;
let reloader: ConfigReloader | undefined;
let applied: WatchConfig[];
let outcomes: ReloadOutcome[];

function reloaderFor(
  initialText: string | undefined,
  apply?: (config: WatchConfig) => Promise<void>,
  log: Logger = pino({ level: 'silent' }),
  extra: Partial<ConfigReloaderOptions> = {},
): ConfigReloader {
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
      return { added: config.flows.map((flow) => flowKey(flow)), updated: [], removed: [] };
    },
    onResult: (outcome) => outcomes.push(outcome),
    ...extra,
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

describe('config reloader, on request', () => {
  it('refuses a file that is gone on a file event too, saying it is not found', async () => {
    expect(await reloaderFor(valid([1])).reload('file-change')).toEqual({
      result: 'refused',
      problems: [`config file not found: ${path} (start from a copy of config/flows.example.yaml, or set --config or CONFIG_PATH)`],
    });
  });

  it('logs what it applied, every problem of a refused file, and the end of the refusal', async () => {
    const { log, lines } = captureLog('info');
    await writeFile(path, valid([1, 2]));
    const subject = reloaderFor(valid([1]), undefined, log);
    await subject.reload('signal');
    await writeFile(path, valid([1, 2]).replace('{ id: 2 }', '{ id: 2, pollEvery: 0.5s, colour: red }'));
    await subject.reload('file-change');
    await writeFile(path, valid([1, 2]));
    await subject.reload('file-change');
    const entry = (fields: Record<string, unknown>) => expect.objectContaining(fields) as unknown;
    expect(lines).toEqual([
      entry({ level: 30, msg: 'config reloaded', trigger: 'signal', path, flows: 2, result: 'applied', added: 2 }),
      entry({ level: 50, msg: 'config problem', path, problem: 'flows[1].pollEvery: "0.5s" is not a duration (use 30s, 5m, 2h, 1d)' }),
      entry({ level: 50, msg: 'config problem', path, problem: 'flows[1].colour: unknown key (known keys here: id, name, account, pollEvery, maxRuntime, backfill, notify, sendOnResolved, detect, autoFallback, learnFrom, schedule, scheduleTimezone, missedAfter, partialTolerance, labels, repeatEvery, alertAfter)' }),
      entry({ level: 50, msg: 'config reload refused; still running the previous config', trigger: 'file-change', path, problems: 2 }),
      entry({ level: 30, msg: 'config file matches the running config again; the refusal is over', path }),
    ]);
  });

  it('reports a bug while reloading as a refusal, logged, without a listener, and keeps reloading', async () => {
    const { log, lines } = captureLog('info');
    await writeFile(path, valid([1]));
    let broken = true;
    reloader = createConfigReloader({
      path,
      env: {},
      log,
      // A broken report: reloading must survive even this.
      apply: () => Promise.resolve(broken ? ({} as { added: string[]; updated: string[]; removed: string[] }) : { added: [], updated: ['1'], removed: [] }),
    });
    const failed = await reloader.reload('signal');
    expect(failed).toMatchObject({ result: 'refused', problems: [expect.stringMatching(/^TypeError: /)] });
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'config reload failed', path }));
    // The refusal stands until the file matches again, or a reload applies.
    expect(await reloader.reload('file-change')).toEqual({ result: 'restored' });
    broken = false;
    expect(await reloader.reload('signal')).toEqual({ result: 'applied', added: 0, updated: 1, removed: 0 });
  });
});

/** Edits seen by the directory watch alone: polling is set far beyond the length of any test. */
const NO_POLLING = { pollMs: 600_000 };

describe('config reloader, watching the directory', () => {
  it('notices the file being replaced and edited in place without the help of polling', async () => {
    await writeFile(path, valid([1]));
    reloaderFor(valid([1]), undefined, undefined, NO_POLLING).watch();
    await writeFile(join(dir, 'flows.yaml.tmp'), valid([1, 5]));
    await rename(join(dir, 'flows.yaml.tmp'), path);
    await eventually(() => (applied.length === 1 ? true : undefined), 'the replaced file applied', 3_000);
    await writeFile(path, valid([1, 5, 6]));
    await eventually(() => (applied.length === 2 ? true : undefined), 'the edited file applied', 3_000);
    expect(applied.map((config) => config.flows.map((flow) => flow.id))).toEqual([[1, 5], [1, 5, 6]]);
  });

  it('ignores other files in the directory', async () => {
    await writeFile(path, valid([1]));
    reloaderFor(valid([1]), undefined, undefined, NO_POLLING).watch();
    await writeFile(join(dir, 'notes.txt'), 'not the config');
    await writeFile(join(dir, 'flows.yaml.bak'), valid([1, 2]));
    await sleep(300);
    await writeFile(path, valid([1, 3]));
    await eventually(() => (applied.length === 1 ? true : undefined), 'the config applied', 3_000);
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['applied']);
  });

  it('notices a Kubernetes ConfigMap update, which swaps the ..data link and never touches the file name', async () => {
    await mkdir(join(dir, '..2026_01'));
    await writeFile(join(dir, '..2026_01', 'flows.yaml'), valid([1]));
    await symlink('..2026_01', join(dir, '..data'));
    await symlink('..data/flows.yaml', path);
    reloaderFor(valid([1]), undefined, undefined, NO_POLLING).watch();
    await mkdir(join(dir, '..2026_02'));
    await writeFile(join(dir, '..2026_02', 'flows.yaml'), valid([1, 7]));
    await symlink('..2026_02', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await eventually(() => (applied.length === 1 ? true : undefined), 'the new ConfigMap version applied', 3_000);
    expect(applied[0]?.flows.map((flow) => flow.id)).toEqual([1, 7]);
  });

  it('reads once after a burst of writes, and applies the last', async () => {
    await writeFile(path, valid([1]));
    reloaderFor(valid([1]), undefined, undefined, { ...NO_POLLING, debounceMs: 300 }).watch();
    for (const last of [2, 3, 4, 5, 6]) await writeFile(path, valid([1, last]));
    await eventually(() => (applied.length === 1 ? true : undefined), 'the burst applied', 3_000);
    await sleep(500);
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['applied']);
    expect(applied[0]?.flows.map((flow) => flow.id)).toEqual([1, 6]);
  });

  it('applies nothing when the file is written again unchanged', async () => {
    await writeFile(path, valid([1]));
    reloaderFor(valid([1]), undefined, undefined, NO_POLLING).watch();
    await writeFile(path, valid([1]));
    await eventually(() => (outcomes.length === 1 ? true : undefined), 'the event handled', 3_000);
    expect(outcomes).toEqual([{ result: 'unchanged' }]);
    expect(applied).toHaveLength(0);
  });

  it('waits the whole quiet time after the last event before reading', async () => {
    await writeFile(path, valid([1]));
    reloaderFor(valid([1]), undefined, undefined, { ...NO_POLLING, debounceMs: 1_500 }).watch();
    await writeFile(path, valid([1, 2]));
    await sleep(700);
    expect(applied).toHaveLength(0);
    await eventually(() => (applied.length === 1 ? true : undefined), 'the change applied after the quiet time', 5_000);
  });

  it('says so when the directory cannot be watched, and notices the file by polling once it appears', async () => {
    const { log, lines } = captureLog('info');
    path = join(dir, 'not-yet', 'flows.yaml');
    reloaderFor(undefined, undefined, log).watch();
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'cannot watch the config directory; reload with SIGHUP', path })]);
    await mkdir(join(dir, 'not-yet'));
    await writeFile(path, valid([4]));
    await eventually(() => (applied.length === 1 ? true : undefined), 'the new file applied', 3_000);
  });
});

describe('config reloader, polling', () => {
  let target: string;

  /** The config is a link to a file in another directory, so the directory watch never sees its edits. */
  async function linkedConfig(text: string, modified: Date): Promise<void> {
    const elsewhere = await mkdtemp(join(dir, 'elsewhere-'));
    target = join(elsewhere, 'flows.yaml');
    await writeFile(target, text);
    await utimes(target, modified, modified);
    await symlink(target, path);
  }

  /** Replaces the target at once, as `mv` and `cp -p` do; `modified` keeps a given modification time. */
  async function replaceTarget(text: string, modified?: Date): Promise<void> {
    await writeFile(`${target}.new`, text);
    if (modified !== undefined) await utimes(`${target}.new`, modified, modified);
    await rename(`${target}.new`, target);
  }

  it('notices edits by modification time or by size, and ignores a change of permissions', async () => {
    const modified = new Date('2026-01-01T00:00:00Z');
    await linkedConfig(valid([1]), modified);
    reloaderFor(valid([1])).watch();
    await sleep(250);

    await chmod(target, 0o600);
    await sleep(500);
    expect(outcomes).toEqual([]);

    // Copied with its old modification time kept: only the size tells.
    await replaceTarget(valid([1, 22]), modified);
    await eventually(() => (applied.length === 1 ? true : undefined), 'an edit that kept the modification time', 3_000);

    // Same size, new content: only the modification time tells.
    await replaceTarget(valid([1, 33]));
    await eventually(() => (applied.length === 2 ? true : undefined), 'an edit of the same size', 3_000);
    expect(applied.map((config) => config.flows.map((flow) => flow.id))).toEqual([[1, 22], [1, 33]]);
  });
});

describe('config reloader, its watchers', () => {
  const watchers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'FSEventWrap' || resource === 'StatWatcher').length;

  it('never keep the worker alive', async () => {
    await writeFile(path, valid([1]));
    const before = watchers();
    reloaderFor(valid([1])).watch();
    expect(watchers()).toBe(before);
  });

  it('are all released by close, and a change made just before applies nothing', async () => {
    await writeFile(path, valid([1]));
    const subject = reloaderFor(valid([1]), undefined, undefined, { debounceMs: 200 });
    subject.watch();
    await writeFile(path, valid([1, 2]));
    await sleep(20);
    await subject.close();
    await writeFile(path, valid([1, 3]));
    await sleep(600);
    expect(applied).toHaveLength(0);
    expect(outcomes).toHaveLength(0);
    const listener = () => undefined;
    try {
      // Polling is shared per file: a poller left behind would still hold the reloader's listener.
      expect(watchFile(path, listener).listenerCount('change')).toBe(1);
    } finally {
      unwatchFile(path, listener);
    }
  });
});
