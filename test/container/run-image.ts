import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { startProcess, type CliProcess } from '../support/run-cli.ts';
import type { Command } from './parse-dockerfile.ts';
import { hostPath, type ImageStage } from './replay-dockerfile.ts';

/**
 * Starts the image's programs on this machine. The image's `node` is Node 24; so is the one running vitest,
 * which stands in for it. Nothing of the repository's own node_modules is on the PATH.
 */
export const imagePath = [dirname(process.execPath), ...(process.env.PATH ?? '').split(':').filter((entry) => entry !== '' && !entry.includes('node_modules'))].join(':');

/** The exec-form argv the image would start, `node` replaced by this machine's Node 24. */
export function hostArgv(command: Command | undefined, what: string): string[] {
  // Shell form would make `sh -c` PID 1, which passes no SIGTERM on to node: a graceful stop would never start.
  if (command?.form !== 'exec') throw new Error(`${what} must use the exec form ["node", …] so node gets the signals`);
  const [program, ...args] = command.argv;
  if (program !== 'node') throw new Error(`${what} starts ${program}; this test knows how to stand in for node only`);
  return [process.execPath, ...args];
}

/** Runs ARGV in the image's WORKDIR with the image's ENV, then ENV overrides, as `docker run -e` would. */
export function startInImage(image: ImageStage, argv: string[], env: Record<string, string> = {}): CliProcess {
  return startProcess(argv, { cwd: hostPath(image, '.'), env: { PATH: imagePath, ...image.env, ...env } });
}

export async function runInImage(image: ImageStage, argv: string[], env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const run = startInImage(image, argv, env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A port nothing listens on right now, so the worker's HTTP server never meets another test's (or 8080). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
