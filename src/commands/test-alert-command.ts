import type { Alert } from '../alerts/alert.ts';
import { createNotifier } from '../notifiers/create-notifier.ts';
import { writeLine, type Command, type CommandContext } from './command.ts';
import { CONFIG_OPTION_HELP, configPathOf, loadConfigOrReport, parseOptions } from './command-support.ts';

const USAGE = [
  'Usage: portable-watch test-alert [--notifier NAME] [--config PATH]',
  '',
  'Options:',
  '  --notifier NAME    send only through this notifier (default: every configured notifier)',
  CONFIG_OPTION_HELP,
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
    const now = Date.now();
    const alert: Alert = { key: `test-${now}`, kind: 'test', flow: { id: 0, name: 'portable-watch test message' }, detectedAt: now };
    let failed = 0;
    for (const [name, notifierConfig] of entries) {
      const notifier = createNotifier(name, notifierConfig, { ...(config.email ? { email: config.email } : {}), consoleOut: context.stdout });
      try {
        await notifier.send(alert);
        writeLine(context.stdout, `${name} (${notifier.type}): sent`);
      } catch (error) {
        failed += 1;
        writeLine(context.stdout, `${name} (${notifier.type}): FAILED — ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await notifier.close();
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
