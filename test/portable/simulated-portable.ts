/**
 * Test wiring: a real simulator on 127.0.0.1:0 and a client pointed at it, torn down after each test.
 * Retries are fast and recorded, so tests can assert how long the client would have waited.
 */
import { afterEach, beforeEach } from 'vitest';
import { createPortableClient, type PortableClient, type PortableClientOptions } from '../../src/portable/portable-client.ts';
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
