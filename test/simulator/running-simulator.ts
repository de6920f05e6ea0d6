/**
 * A simulator on 127.0.0.1:0 with a settable clock, and a tiny fetch wrapper, for the simulator's own tests.
 */
import { afterEach, beforeEach } from 'vitest';
import { createPortableSimulator, type PortableSimulator } from '../../src/simulator/portable-simulator.ts';

export const TOKEN = 'simulator-test-token';
export const NOW = Date.UTC(2023, 5, 12, 21, 30);
export const MINUTE = 60_000;

export interface RunningSimulator {
  simulator: PortableSimulator;
  url: string;
  /** The simulator's now(); tests may move it. */
  clock: number;
  /** `token: null` sends no Authorization header. */
  get(path: string, token?: string | null): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }>;
  /** The ids of a run listing, in the order served. */
  runIds(path: string): Promise<number[]>;
}

/** Registers beforeEach/afterEach hooks; read the returned object's fields inside tests only. */
export function useRunningSimulator(): RunningSimulator {
  const context = { clock: NOW } as RunningSimulator;
  beforeEach(async () => {
    context.clock = NOW;
    context.simulator = createPortableSimulator({ token: TOKEN, now: () => context.clock });
    context.url = await context.simulator.listen();
  });
  afterEach(async () => {
    await context.simulator.close();
  });
  context.get = async (path, token = TOKEN) => {
    const response = await fetch(`${context.url}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: (): unknown => JSON.parse(text) };
  };
  context.runIds = async (path) => {
    const { data } = (await context.get(path)).json() as { data: { id: number }[] };
    return data.map((attempt) => attempt.id);
  };
  return context;
}
