import type { Writable } from 'node:stream';

/** What a subcommand may touch of the outside world; injected so commands run in-process in tests. */
export interface CommandContext {
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: Writable;
  stderr: Writable;
}

export interface Command {
  summary: string;
  usage: string;
  /** Resolves to the process exit code. */
  run(context: CommandContext): Promise<number>;
}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
