import { runDemo } from '../demo/run-demo.ts';
import { DEFAULT_REDIS_URL } from '../worker/main.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch demo [--keep]',
  '',
  'Runs the real worker against a simulated Portable for about 10 seconds: one flow fails, one hangs, one',
  'recovers, one stays healthy; the alerts print here. No account or config needed. The status page is served',
  'meanwhile (its address is printed: HTTP_PORT, default 8080, or a free port when that one is taken).',
  '',
  'Options:',
  '  --keep   after the story, keep the worker and the status page running until Ctrl-C',
  '',
  'Environment: REDIS_URL (default redis://127.0.0.1:6379; without one answering there, a private',
  'redis-server from PATH is started and stopped again), SLACK_WEBHOOK_URL (also post the alerts to Slack),',
  'LOG_LEVEL (the worker\'s logs; default warn), LOG_FORMAT (pretty or json; default pretty at a terminal),',
  'HTTP_PORT and HTTP_HOST (the status page; default 127.0.0.1:8080).',
].join('\n');

/** `portable-watch demo`: a first look without a Portable account. Ctrl-C stops it and cleans up. */
export const demoCommand: Command = {
  summary: 'Try it without an account: a simulated flow fails, one hangs, one recovers; alerts print here.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'demo', USAGE, { keep: { type: 'boolean' } });
    if (values === undefined) return 1;
    const controller = new AbortController();
    const stop = (signal: NodeJS.Signals) => {
      if (!controller.signal.aborted) {
        controller.abort(signal);
        return;
      }
      // A second signal: the user wants out now. A private redis-server is still stopped on exit.
      writeLine(context.stderr, 'portable-watch demo: second signal, exiting at once; some demo keys may be left in Redis.');
      process.exit(130);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      return await runDemo({ context, defaultRedisUrl: DEFAULT_REDIS_URL, signal: controller.signal, keep: values.keep === true });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
