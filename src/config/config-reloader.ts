import { createHash } from 'node:crypto';
import { unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { WatchConfig } from './config-schema.ts';
import type { Environment } from './interpolate-env.ts';
import { loadConfig, parseConfig } from './load-config.ts';

/**
 * Applies config changes without a restart: on a change of the file (watched) or on request (SIGHUP). A file
 * that does not validate is refused as a whole — the worker keeps running on the config it has — and every
 * problem is logged, so a typo on a live system costs a log line, not an outage.
 */

export type ReloadTrigger = 'file-change' | 'signal';

export type ReloadOutcome =
  | { result: 'applied'; added: number; updated: number; removed: number }
  | { result: 'unchanged' }
  /** After a refusal, the file is back to exactly the config running: nothing to apply, nothing refused any more. */
  | { result: 'restored' }
  | { result: 'refused'; problems: string[] };

export interface ConfigReloaderOptions {
  path: string;
  env: Environment;
  /** Text of the config the worker started with, so an event that changed nothing is recognised. */
  initialText?: string;
  /** Puts a valid config into effect; throws when it cannot (e.g. Redis is down), which counts as refused. */
  apply(config: WatchConfig): Promise<{ added: readonly string[]; updated: readonly string[]; removed: readonly string[] }>;
  log: Logger;
  onResult?: (outcome: ReloadOutcome) => void;
  /** Quiet time after the last file event before reading: editors write in several steps. */
  debounceMs?: number;
  /** Stat polling, for mounts where change events never arrive (network and some container filesystems). */
  pollMs?: number;
}

export interface ConfigReloader {
  /** Re-reads and applies the file now. A signal applies even an unchanged file (a deliberate request). */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome>;
  /** Starts watching the file; returns nothing, stopped by `close`. */
  watch(): void;
  close(): Promise<void>;
}

export function createConfigReloader(options: ConfigReloaderOptions): ConfigReloader {
  const { path, log } = options;
  let appliedHash = options.initialText === undefined ? undefined : hash(options.initialText);
  // Whether the last outcome was a refusal: the file then differs from the config running, until it matches again.
  let refusalStands = false;
  // Reloads run one at a time, in order; a burst of events collapses into the reloads still needed.
  let chain: Promise<unknown> = Promise.resolve();
  let watcher: FSWatcher | undefined;
  let polling = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  async function reloadNow(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined && trigger === 'file-change' && hash(text) === appliedHash) return unchangedOrRestored();
    const loaded = text === undefined ? await loadConfig(path, options.env) : parseConfig(text, options.env, path);
    if (!loaded.ok) return refuse(trigger, loaded.problems);
    let report: Awaited<ReturnType<ConfigReloaderOptions['apply']>>;
    try {
      report = await options.apply(loaded.config);
    } catch (error) {
      return refuse(trigger, [`could not apply the config: ${error instanceof Error ? error.message : String(error)}`]);
    }
    if (text !== undefined) appliedHash = hash(text);
    refusalStands = false;
    const outcome = { result: 'applied', added: report.added.length, updated: report.updated.length, removed: report.removed.length } as const;
    log.info({ trigger, path, flows: loaded.config.flows.length, ...outcome }, 'config reloaded');
    return outcome;
  }

  /** A refused edit undone (the file put back as it was) ends the refusal as surely as a reload that applies. */
  function unchangedOrRestored(): ReloadOutcome {
    if (!refusalStands) return { result: 'unchanged' };
    refusalStands = false;
    log.info({ path }, 'config file matches the running config again; the refusal is over');
    return { result: 'restored' };
  }

  function refuse(trigger: ReloadTrigger, problems: string[]): ReloadOutcome {
    refusalStands = true;
    for (const problem of problems) log.error({ path, problem }, 'config problem');
    log.error({ trigger, path, problems: problems.length }, 'config reload refused; still running the previous config');
    return { result: 'refused', problems };
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload('file-change'), options.debounceMs ?? 250);
  }

  function reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const next = chain.then(() => reloadNow(trigger));
    chain = next.catch(() => undefined);
    return next.then(
      (outcome) => {
        options.onResult?.(outcome);
        return outcome;
      },
      (error: unknown) => {
        // reloadNow catches what it expects; anything else is a bug, reported but never fatal to the worker.
        log.error({ err: error, path }, 'config reload failed');
        refusalStands = true;
        const outcome: ReloadOutcome = { result: 'refused', problems: [String(error)] };
        options.onResult?.(outcome);
        return outcome;
      },
    );
  }

  return {
    reload,
    watch() {
      // The directory, not the file: editors and Kubernetes ConfigMaps replace the file, which ends a file watch.
      const name = basename(path);
      try {
        watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
          if (changed === null || changed === name || changed.startsWith('..')) schedule();
        });
        watcher.on('error', (error) => log.warn({ err: error, path }, 'config watch failed; reload with SIGHUP'));
      } catch (error) {
        log.warn({ err: error, path }, 'cannot watch the config directory; reload with SIGHUP');
      }
      watchFile(path, { interval: options.pollMs ?? 5_000, persistent: false }, (current, previous) => {
        if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) schedule();
      });
      polling = true;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      if (polling) unwatchFile(path);
      await chain;
    },
  };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
