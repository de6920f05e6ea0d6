import { writeLine } from './command.ts';
import { commands, helpText } from './registry.ts';

/** The `portable-watch` command once src/cli.ts has checked the Node version: picks the subcommand and hands it the process. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    writeLine(process.stdout, helpText());
    return name === undefined ? 1 : 0;
  }
  const command = commands[name as keyof typeof commands] as (typeof commands)[keyof typeof commands] | undefined;
  if (command === undefined) {
    writeLine(process.stderr, `portable-watch: unknown command "${name}"\n`);
    writeLine(process.stderr, helpText());
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(process.stdout, `${command.usage}\n\n${command.summary}`);
    return 0;
  }
  return command.run({ argv: rest, env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    writeLine(process.stderr, `portable-watch: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
