import type { Command } from './command.ts';
import { alertsCommand } from './alerts-command.ts';
import { checkCommand } from './check-command.ts';
import { demoCommand } from './demo-command.ts';
import { discoverCommand } from './discover-command.ts';
import { routesCommand } from './routes-command.ts';
import { silenceCommand } from './silence-command.ts';
import { simulateCommand } from './simulate-command.ts';
import { startCommand } from './start-command.ts';
import { statusCommand } from './status-command.ts';
import { testAlertCommand } from './test-alert-command.ts';
import { validateCommand } from './validate-command.ts';

/** Every subcommand of `portable-watch`, by the name users type. */
export const commands = {
  start: startCommand,
  check: checkCommand,
  status: statusCommand,
  alerts: alertsCommand,
  routes: routesCommand,
  discover: discoverCommand,
  silence: silenceCommand,
  'test-alert': testAlertCommand,
  validate: validateCommand,
  demo: demoCommand,
  simulate: simulateCommand,
} satisfies Record<string, Command>;

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return [
    'portable-watch: watches Portable flows and alerts when a run fails or hangs.',
    '',
    'Usage: portable-watch <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `portable-watch <command> --help` for the options of a command.',
  ].join('\n');
}
