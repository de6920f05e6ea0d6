import { EventEmitter } from 'node:events';
import type * as fs from 'node:fs';
import { watch, type FSWatcher } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConfigReloader, type ConfigReloader } from '../../src/config/config-reloader.ts';
import { captureLog } from '../support/capture-log.ts';

/*
 * A directory watch that fails once it runs (inotify queue overflow, a network mount going away) cannot be
 * caused on purpose here: deleting the directory only ends the watch. So `watch` alone is replaced, by a
 * watcher the test makes fail; everything else is real.
 */
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  return { ...actual, watch: vi.fn(actual.watch) };
});

let dir: string | undefined;
let reloader: ConfigReloader | undefined;

afterEach(async () => {
  await reloader?.close();
  reloader = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('config reloader, when the directory watch fails', () => {
  it('says to reload with SIGHUP and keeps the worker running', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-reload-'));
    const path = join(dir, 'flows.yaml');
    await writeFile(path, 'portable: { token: t }\nnotifiers: { a: { type: console } }\ndefaults: { notify: [a] }\nflows: [{ id: 1 }]\n');
    const failing = Object.assign(new EventEmitter(), { close: () => undefined }) as unknown as FSWatcher;
    vi.mocked(watch).mockImplementationOnce(() => failing);
    const { log, lines } = captureLog('info');
    reloader = createConfigReloader({ path, env: {}, log, apply: () => Promise.resolve({ added: ['1'], updated: [], removed: [] }) });
    reloader.watch();

    failing.emit('error', Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' }));

    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'config watch failed; reload with SIGHUP', path, err: expect.objectContaining({ code: 'ENOSPC' }) as unknown })]);
    expect(await reloader.reload('signal')).toEqual({ result: 'applied', added: 1, updated: 0, removed: 0 });
  });
});
