import { resolve } from 'node:path';
import { runWorker } from '../worker/main.ts';
import type { Command, CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch start [--config PATH]',
  '',
  'Options:',
  CONFIG_OPTION_HELP,
  '',
  'The worker reloads the config when the file changes, or on SIGHUP; a file that does not validate is refused',
  'and the worker goes on with the config it has. SIGTERM or SIGINT stop it within 10 seconds.',
  '',
  'Environment: REDIS_URL (default redis://127.0.0.1:6379), LOG_LEVEL (default info), LOG_FORMAT (pretty or',
  'json; default pretty when stdout is a terminal, json otherwise), QUEUE_PREFIX (default {portable-watch}),',
  'HTTP_PORT (default 8080; 0 picks a free port) and HTTP_HOST (default 0.0.0.0) for /healthz, /readyz and',
  '/metrics; the config reads secrets such as PORTABLE_API_TOKEN through ${VAR}.',
  'On a Redis Cluster set REDIS_CLUSTER_NODES=host:port,… (QUEUE_PREFIX must keep a {hash tag}); behind Sentinel',
  'set REDIS_SENTINELS=host:port,… with REDIS_SENTINEL_NAME (default mymaster) and REDIS_SENTINEL_PASSWORD if any;',
  'either way REDIS_URL then supplies only the password (and rediss:// for TLS).',
].join('\n');

/** `portable-watch start`: the always-on worker. A config that does not validate stops it before it starts. */
export const startCommand: Command = {
  summary: 'Run the worker: check every configured flow on its schedule and deliver alerts.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'start', USAGE, { config: { type: 'string', short: 'c' } });
    if (values === undefined) return 1;
    const configPath = configPathOf(values.config, context);
    const config = await loadConfigOrReport(context, configPath);
    if (config === undefined) return 1;
    return runWorker(context, config, resolve(context.cwd, configPath));
  },
};
