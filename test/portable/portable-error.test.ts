import { describe, expect, it } from 'vitest';
import {
  abortedError,
  httpStatusError,
  malformedError,
  networkError,
  PortableApiError,
  retryAfterTooLongError,
  type PortableErrorKind,
} from '../../src/portable/portable-error.ts';

const RUN = '/v2/flows/689422/run?limit=100&offset=0&sort=desc';
const FLOW = '/v2/flows/689422';
const FLOWS = '/v2/flows';
const CHECK_ID = "check flows[].id in the config against the flow's id in the Portable app";

describe('httpStatusError: one kind per status, with a message a person can act on', () => {
  const cases: [number, string, PortableErrorKind, boolean, string][] = [
    [401, RUN, 'unauthorized', false, 'Portable rejected the API token (401) for GET /v2/flows/689422/run: check PORTABLE_API_TOKEN — tokens are made and revoked in the Portable app'],
    [403, FLOW, 'forbidden', false, 'Portable refused GET /v2/flows/689422 (403): API access needs a paid Portable plan, or this token lacks permission for the flow'],
    [404, `${FLOW}/status`, 'not-found', false, `flow 689422 not found (404) for GET /v2/flows/689422/status: ${CHECK_ID}`],
    [404, FLOWS, 'not-found', false, `GET /v2/flows not found (404): ${CHECK_ID}`],
    [408, RUN, 'transient', true, 'Portable answered 408 for GET /v2/flows/689422/run after 1 attempt(s)'],
    [429, FLOW, 'transient', true, 'Portable answered 429 for GET /v2/flows/689422 after 1 attempt(s)'],
    [500, FLOWS, 'transient', true, 'Portable answered 500 for GET /v2/flows after 1 attempt(s)'],
    [599, FLOW, 'transient', true, 'Portable answered 599 for GET /v2/flows/689422 after 1 attempt(s)'],
    [400, RUN, 'bad-request', false, 'Portable rejected GET /v2/flows/689422/run as a bad request (400): check the flow id (689422) is a number'],
    [400, FLOWS, 'bad-request', false, 'Portable rejected GET /v2/flows as a bad request (400): check the flow id (none) is a number'],
    [499, FLOW, 'bad-request', false, 'Portable rejected GET /v2/flows/689422 as a bad request (499): check the flow id (689422) is a number'],
    [300, FLOW, 'malformed', false, 'Portable answered an unexpected status 300 for GET /v2/flows/689422'],
    [399, RUN, 'malformed', false, 'Portable answered an unexpected status 399 for GET /v2/flows/689422/run'],
  ];

  it.each(cases)('%i on %s is %s (retryable: %s)', (status, path, kind, retryable, message) => {
    const error = httpStatusError(status, path);
    expect(error).toBeInstanceOf(PortableApiError);
    expect(error).toMatchObject({ kind, retryable, status, path, message });
  });

  it('counts the attempts and keeps the Retry-After of a transient status', () => {
    const error = httpStatusError(503, RUN, 3, 2000);
    expect(error.message).toBe('Portable answered 503 for GET /v2/flows/689422/run after 3 attempt(s)');
    expect(error.retryAfterMs).toBe(2000);
  });

  it('names itself PortableApiError in logs and stacks', () => {
    const error = httpStatusError(401, RUN);
    expect(error.name).toBe('PortableApiError');
    expect(String(error)).toMatch(/^PortableApiError: Portable rejected the API token/);
  });
});

describe('the other failures', () => {
  it('networkError: transient, with the code when there is one', () => {
    expect(networkError(RUN, 'ECONNRESET', 'ECONNRESET: socket hang up', 2)).toMatchObject({
      kind: 'transient',
      retryable: true,
      code: 'ECONNRESET',
      status: undefined,
      path: RUN,
      message: 'Could not reach Portable for GET /v2/flows/689422/run after 2 attempt(s): ECONNRESET: socket hang up',
    });
    expect(networkError(FLOW, undefined, 'Error: boom', 1).code).toBeUndefined();
  });

  it('retryAfterTooLongError: says how long Portable asked for and how long we wait, in whole seconds', () => {
    const error = retryAfterTooLongError(RUN, 429, 3_600_500, 30_000);
    expect(error).toMatchObject({ kind: 'transient', retryable: true, status: 429, retryAfterMs: 3_600_500 });
    expect(error.message).toBe(
      'Portable asked us to wait 3601s (Retry-After on 429) before GET /v2/flows/689422/run, longer than the 30s this client waits',
    );
  });

  it('malformedError: says what was expected and what came instead, not retried', () => {
    expect(malformedError(RUN, 'a JSON body', '"<html>"')).toMatchObject({
      kind: 'malformed',
      retryable: false,
      path: RUN,
      message: `Portable's answer to GET /v2/flows/689422/run was not understood: expected a JSON body; got "<html>"`,
    });
  });

  it('abortedError: not retried, with the code Node uses for an abort', () => {
    expect(abortedError(RUN)).toMatchObject({
      kind: 'aborted',
      retryable: false,
      code: 'ABORT_ERR',
      path: RUN,
      message: 'GET /v2/flows/689422/run was aborted (shutting down)',
    });
  });
});
