import { testMessage } from '../alerts/alert.ts';
import { createNotifier } from '../notifiers/create-notifier.ts';
import { NotifierError } from '../notifiers/notifier.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch test-alert [--notifier NAME] [--config PATH]',
  '',
  'Options:',
  '  --notifier NAME    send only through this notifier (default: every configured notifier)',
  CONFIG_OPTION_HELP,
  '',
  'Sends once through each notifier and retries nothing. Exit status: 0 when every send worked, 1 otherwise.',
].join('\n');

/** `portable-watch test-alert`: proves each notifier's wiring end to end, without Redis or Portable. */
export const testAlertCommand: Command = {
  summary: 'Send a clearly labelled test message through each notifier and report each result.',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseOptions(context, 'test-alert', USAGE, { config: { type: 'string', short: 'c' }, notifier: { type: 'string' } });
    if (values === undefined) return 1;
    const config = await loadConfigOrReport(context, configPathOf(values.config, context));
    if (config === undefined) return 1;
    const entries = Object.entries(config.notifiers).filter(([name]) => values.notifier === undefined || name === values.notifier);
    if (entries.length === 0) {
      const known = Object.keys(config.notifiers).join(', ') || 'none';
      writeLine(context.stderr, `portable-watch test-alert: no notifier ${values.notifier === undefined ? 'configured' : `named "${values.notifier}"`} (configured: ${known})`);
      return 1;
    }
    const alert = testMessage(Date.now());
    let failed = 0;
    for (const [name, notifierConfig] of entries) {
      const notifier = createNotifier(name, notifierConfig, { ...(config.email ? { email: config.email } : {}), consoleOut: context.stdout });
      try {
        await notifier.send(alert);
        writeLine(context.stdout, `${name} (${notifier.type}): sent`);
      } catch (error) {
        failed += 1;
        writeLine(context.stdout, `${name} (${notifier.type}): FAILED — ${failureText(error)}`);
      } finally {
        await notifier.close();
      }
    }
    return failed === 0 ? 0 : 1;
  },
};

/**
 * The notifier's own message says what failed and, when a person must fix something, what. A passing problem (a
 * timeout, Slack's 5xx, a mail server's 4xx) it leaves to the caller, which here is one run and no retry.
 */
function failureText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const passing = error instanceof NotifierError && error.retryable ? ' — this looks temporary: run test-alert again in a minute' : '';
  return `${error.message}${passing}`;
}
