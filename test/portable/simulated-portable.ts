/**
 * Test wiring: a real simulator on 127.0.0.1:0 and a client pointed at it, torn down after each test.
 * Retries are fast and recorded, so tests can assert how long the client would have waited.
 */
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, beforeEach, expect } from 'vitest';
import { createPortableClient, type PortableClient, type PortableClientOptions } from '../../src/portable/portable-client.ts';
import { PortableApiError } from '../../src/portable/portable-error.ts';
import {
  createPortableSimulator,
  type PortableSimulator,
  type PortableSimulatorOptions,
} from '../../src/simulator/portable-simulator.ts';

/** Distinctive, so a leak is unmistakable in any string. */
export const TEST_TOKEN = 'pw-test-token-7c1e9a3f5b2d';

/** 12 June 2023 21:30 UTC, half an hour after the published example's newest attempt. */
export const TEST_NOW = Date.UTC(2023, 5, 12, 21, 30, 0);

export interface SimulatedPortable {
  simulator: PortableSimulator;
  url: string;
  /** Every sleep the client asked for, in ms, in order (recorded instead of waited). */
  sleeps: number[];
  /** A client for the simulator with recorded sleeps and no jitter surprises (random() = 0.5). */
  client(overrides?: Partial<PortableClientOptions>): PortableClient;
}

/** Registers beforeEach/afterEach hooks; read the returned object's fields inside tests only. */
export function useSimulatedPortable(options: Partial<PortableSimulatorOptions> = {}): SimulatedPortable {
  const context = {} as SimulatedPortable;
  beforeEach(async () => {
    const simulator = createPortableSimulator({ token: TEST_TOKEN, now: () => TEST_NOW, ...options });
    const url = await simulator.listen();
    const sleeps: number[] = [];
    context.simulator = simulator;
    context.url = url;
    context.sleeps = sleeps;
    context.client = (overrides = {}) =>
      createPortableClient({
        token: TEST_TOKEN,
        apiUrl: url,
        timeoutMs: 2_000,
        retry: { limit: 2, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 10_000 },
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
        random: () => 0.5,
        now: () => TEST_NOW,
        ...overrides,
      });
  });
  afterEach(async () => {
    await context.simulator.close();
  });
  return context;
}

/** A minute, for readable attempt times. */
export const MINUTE = 60_000;

/** The PortableApiError a call fails with; fails the test if it succeeds or throws anything else. */
export async function failure(promise: Promise<unknown>): Promise<PortableApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PortableApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Asserts the token appears in no way an error could be shown or logged. */
export function expectNoToken(error: PortableApiError): void {
  const renderings = [
    error.message,
    String(error.stack),
    JSON.stringify(error),
    inspect(error, { depth: Infinity, showHidden: true }),
    JSON.stringify(Object.getOwnPropertyDescriptors(error)),
  ];
  for (const rendering of renderings) expect(rendering).not.toContain(TEST_TOKEN);
  expect(error).not.toHaveProperty('cause');
}

/** A port nothing listens on: bind one, then free it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
