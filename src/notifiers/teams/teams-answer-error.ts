import { NotifierError } from '../notifier.ts';
import { statusError, type JsonAnswer } from '../http/post-json.ts';

/*
 * What a Teams Workflows webhook's answer means. It answers 202 once it has queued the flow run (200 from some
 * endpoints): both are success, and mean only that the workflow accepted the message, not that it was posted yet.
 * The common rules of statusError hold (429 waits for Retry-After, 408 and 5xx are retried); for a refusal, the advice
 * depends on what a person can do about it.
 */

export const WORKFLOW_GONE_ADVICE = 'check the workflow URL; it may have been deleted or turned off';
const URL_ADVICE = `${WORKFLOW_GONE_ADVICE} (copy its "HTTP POST URL" again from the channel's Workflows)`;
const BUG_ADVICE = 'Teams did not accept the card portable-watch sent; this is a portable-watch bug, please report it';
const OTHER_ADVICE = `check the workflow URL, and that the workflow is on and still starts with "When a Teams webhook request is received"`;

/**
 * Error codes of Power Automate's JSON answers (`{"error":{"code":…,"message":…}}`) that mean the URL no longer
 * reaches a running workflow: a missing or wrong `sig` (a URL cut while copying, or `&amp;` pasted for `&`), a deleted
 * or a turned-off flow. Other codes get the advice of their status.
 */
const URL_PROBLEMS = new Set([
  'DirectApiAuthorizationRequired',
  'DirectApiInvalidAuthorizationSignature',
  'WorkflowNotFound',
  'WorkflowTriggerIsNotEnabled',
  'WorkflowDisabled',
]);

/** Undefined for a success; otherwise the NotifierError the answer means, with the workflow's error code when it gave one. */
export function teamsAnswerError(answer: JsonAnswer, who: string): NotifierError | undefined {
  const code = workflowErrorCode(answer.text);
  const error = statusError(answer, who, adviceFor(answer.status, code), code);
  if (error === undefined || code === undefined) return error;
  return new NotifierError(error.message, {
    retryable: error.retryable,
    code,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  });
}

function adviceFor(status: number, code: string | undefined): string {
  if (status === 401 || status === 403 || status === 404 || (code !== undefined && URL_PROBLEMS.has(code))) return URL_ADVICE;
  // the body is ours: a card Teams cannot read or one over its size limit is for us to fix, not the operator
  if (status === 413 || code === 'RequestEntityTooLarge' || code === 'InvalidRequestContent') return BUG_ADVICE;
  return OTHER_ADVICE;
}

/**
 * Only the error's code, one word, is repeated: the message beside it is free text that may quote the request, and
 * the request's URL carries the workflow's signature, its secret.
 */
function workflowErrorCode(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const code = (parsed as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(code) ? code : undefined;
}
