/**
 * Request/response over Node's IPC channel between the bench and its child processes (the simulator and the
 * workers), so each of them is a process of its own and its CPU and memory figures are its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';

interface Request {
  id: number;
  type: string;
  payload: unknown;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type Handlers = Record<string, (payload: never) => unknown>;

export interface ChildLink {
  readonly pid: number;
  request<Result>(type: string, payload?: unknown, timeoutMs?: number): Promise<Result>;
  /** Resolves with the exit code (or signal) once the child is gone. */
  readonly exited: Promise<number | string>;
  /** Kills the child if it has not exited by itself within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Forks `modulePath` on this Node; its stdout and stderr go to `logPath`, where its warnings can be read. */
export function forkChild(modulePath: string, options: { logPath: string; execArgv?: string[] }): ChildLink {
  const log = openSync(options.logPath, 'a');
  const child: ChildProcess = fork(modulePath, [], {
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', log, log, 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const waiter of pending.values()) waiter.reject(new Error(`${modulePath} exited (${code ?? signal}); see ${options.logPath}`));
      pending.clear();
      resolve(code ?? signal ?? -1);
    });
  });
  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`${modulePath}: ${message.error}`));
  });

  return {
    pid: child.pid ?? -1,
    exited,
    request<Result>(type: string, payload: unknown = {}, timeoutMs = 120_000) {
      const id = nextId++;
      if (!child.connected) return Promise.reject(new Error(`${modulePath} is no longer running`));
      return new Promise<Result>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${modulePath}: no answer to "${type}" within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as Result);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, type, payload } satisfies Request);
      });
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child's side: answers each request with its handler's result. When the parent goes away (the IPC channel
 * closes), `onDisconnect` runs and the process exits, so a crashed bench leaves no orphans behind.
 */
export function serveRequests(handlers: Handlers, onDisconnect: () => Promise<void>): void {
  process.on('message', (message: Request) => {
    const handler = handlers[message.type];
    const reply = (answer: Reply) => {
      if (process.connected) process.send?.(answer);
    };
    if (handler === undefined) {
      reply({ id: message.id, ok: false, error: `unknown request "${message.type}"` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.payload as never))
      .then(
        (result) => reply({ id: message.id, ok: true, result }),
        (error: unknown) => reply({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.once('disconnect', () => {
    onDisconnect().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
