import { testMessage, type Alert, type AlertAttempt } from '../../src/alerts/alert.ts';

/** 2026-11-29 07:47:48 UTC */
export const STARTED_AT = Date.UTC(2026, 10, 29, 7, 47, 48);
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export function attempt(overrides: Partial<AlertAttempt> = {}): AlertAttempt {
  return {
    id: 632458,
    trigger: 'scheduled',
    state: 'failed',
    createdAt: STARTED_AT,
    completedAt: STARTED_AT + HOUR + 5 * MINUTE,
    durationMs: HOUR + 5 * MINUTE,
    resources: [
      { name: 'orders', extracted: 1200, analyzed: null, loaded: 1190 },
      { name: 'customers', extracted: null, analyzed: null, loaded: null },
    ],
    errors: ['SQL compilation error: Table EVENTS does not exist', 'Load aborted after 1 error'],
    ...overrides,
  };
}

export function failedAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    key: '689422:632458:failed',
    kind: 'failed',
    flow: { id: 689422, name: 'Events to Snowflake', url: 'https://app.portable.io/flows/689422' },
    attempt: attempt(),
    detectedAt: STARTED_AT + HOUR + 6 * MINUTE,
    ...overrides,
  };
}

export function stalledAlert(): Alert {
  return failedAlert({
    key: '689422:632458:stalled',
    kind: 'stalled',
    attempt: attempt({ state: 'running', completedAt: null, durationMs: 3 * HOUR + 5 * MINUTE, errors: [], resources: [] }),
    maxRuntimeMs: 2 * HOUR,
  });
}

export function recoveredAlert(): Alert {
  return failedAlert({
    key: '689422:632470:recovered',
    kind: 'recovered',
    attempt: attempt({ id: 632470, state: 'succeeded', errors: [] }),
    resolves: { kind: 'failed', attemptId: 632458, since: STARTED_AT },
  });
}

/** A failed alert's flow and times, without the attempt (monitor and test alerts have none). */
function flowOnlyAlert(): Alert {
  const alert = failedAlert();
  delete alert.attempt;
  return alert;
}

export function monitorErrorAlert(scope: 'flow' | 'account' = 'flow'): Alert {
  return {
    ...flowOnlyAlert(),
    key: `689422:monitor-error:${scope}`,
    kind: 'monitor-error',
    monitor: { problem: 'not-found', message: 'GET /v2/flows/689422 answered 404 Not Found', since: STARTED_AT, scope },
  };
}

export function monitorRecoveredAlert(): Alert {
  return { ...monitorErrorAlert(), key: '689422:monitor-recovered', kind: 'monitor-recovered' };
}

/** What `portable-watch test-alert` sends. */
export function testAlert(): Alert {
  return testMessage(STARTED_AT + HOUR + 6 * MINUTE);
}

/** Portable rejected the token: one alert for the account, carrying the flow whose check noticed, as a check sends it. */
export function accountErrorAlert(): Alert {
  return {
    ...flowOnlyAlert(),
    key: 'account-m1-monitor-error',
    kind: 'monitor-error',
    monitor: {
      problem: 'unauthorized',
      message: 'Portable rejected the API token (401) for GET /v2/flows/689422/run: check PORTABLE_API_TOKEN — tokens are made and revoked in the Portable app',
      since: STARTED_AT,
      scope: 'account',
    },
  };
}

export function accountRecoveredAlert(): Alert {
  return { ...accountErrorAlert(), key: 'account-m1-monitor-recovered', kind: 'monitor-recovered' };
}

/** A one-off notice about the whole installation, as the worker sends it after Redis lost its state. */
export function stateLostAlert(): Alert {
  return {
    key: 'state-lost-main',
    kind: 'monitor-error',
    flow: { id: 0, name: 'portable-watch' },
    monitor: {
      problem: 'state-lost',
      message: "Redis lost portable-watch's state at about 2026-11-29 07:47:48 UTC (restart without persistence?); checking resumed",
      since: STARTED_AT,
      scope: 'installation',
    },
    detectedAt: STARTED_AT + HOUR + 6 * MINUTE,
  };
}

/** A one-off notice that an unfinished attempt is no longer followed, as detection sends it. */
export function lostTrackAlert(): Alert {
  return {
    ...flowOnlyAlert(),
    key: '689422:632458:lost-track',
    kind: 'monitor-error',
    monitor: {
      problem: 'lost-track',
      message: 'lost track of attempt 632458: still running 7 days after it was created (last seen running); portable-watch no longer follows it',
      since: STARTED_AT,
      scope: 'flow',
    },
  };
}
