import { expect } from 'vitest';
import { NotifierError } from '../../src/notifiers/notifier.ts';

/** What a classified delivery failure must be: a NotifierError with exactly this message and these details. */
export function expectClassified(
  classified: unknown,
  expected: { message: string; retryable: boolean; status?: number | undefined; code?: string | undefined },
): void {
  expect(classified).toBeInstanceOf(NotifierError);
  const error = classified as NotifierError;
  expect(error.message).toBe(expected.message);
  expect({ retryable: error.retryable, status: error.status, code: error.code }).toEqual({
    retryable: expected.retryable,
    status: expected.status,
    code: expected.code,
  });
}
