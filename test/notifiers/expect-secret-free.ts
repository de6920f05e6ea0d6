import { inspect } from 'node:util';
import { expect } from 'vitest';

/**
 * Fails when any secret shows up in any way the error could be printed or stored: message, stack, JSON (job
 * data, pino), util.inspect (console, uncaught errors), including a cause, which our errors must not have.
 */
export function expectSecretFree(error: Error, secrets: string[]): void {
  const printed = [
    error.message,
    error.stack ?? '',
    JSON.stringify(error),
    inspect(error, { depth: 10, showHidden: true }),
    String(error),
  ];
  for (const form of printed) {
    for (const secret of secrets) expect(form).not.toContain(secret);
  }
  expect(error.cause).toBeUndefined();
}
