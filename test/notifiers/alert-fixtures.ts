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

/** Nothing ran for three hourly slots: the latest run began at STARTED_AT and ended 20 minutes later. */
export function missedAlert(overrides: Partial<Alert['missed'] & object> = {}): Alert {
  const alert = flowOnlyAlert();
  return {
    ...alert,
    key: 'f689422-missed-1796025600000',
    kind: 'missed',
    missed: {
      lastRunAt: STARTED_AT,
      since: STARTED_AT + 20 * MINUTE,
      expectedAt: STARTED_AT + HOUR,
      slots: 3,
      graceMs: 6 * MINUTE,
      schedule: 'cron "47 * * * *" (UTC), from Portable',
      ...overrides,
    },
    detectedAt: STARTED_AT + 3 * HOUR + 6 * MINUTE,
  };
}

/** A succeeded attempt with a resource short of rows and one with an error of its own. */
export function partialAlert(resources: NonNullable<Alert['partial']>['resources'] = partialResources(), toleranceRatio = 0): Alert {
  return failedAlert({
    key: 'f689422-a632458-partial',
    kind: 'partial',
    attempt: attempt({
      state: 'succeeded',
      errors: [],
      resources: [
        { name: 'orders', extracted: 1200, analyzed: null, loaded: 900 },
        { name: 'customers', extracted: 500, analyzed: null, loaded: 500, errors: ['Row 17: value too long for column NAME'] },
        { name: 'refunds', extracted: 40, analyzed: null, loaded: 40 },
      ],
    }),
    partial: { resources, toleranceRatio },
  });
}

export function partialResources(): NonNullable<Alert['partial']>['resources'] {
  return [
    { name: 'orders', extracted: 1200, loaded: 900, errors: [] },
    { name: 'customers', extracted: 500, loaded: 500, errors: ['Row 17: value too long for column NAME'] },
  ];
}

/** A succeeded attempt that loaded nothing into a resource that usually loads 1,200 to 1,900 rows. */
export function volumeAlert(resources: NonNullable<Alert['volume']>['resources'] = [volumeDrop()]): Alert {
  return failedAlert({
    key: 'f689422-a632458-volume',
    kind: 'volume',
    attempt: attempt({
      state: 'succeeded',
      errors: [],
      resources: [
        { name: 'orders', extracted: 0, analyzed: null, loaded: 0 },
        { name: 'customers', extracted: 510, analyzed: null, loaded: 510 },
      ],
    }),
    volume: { resources },
  });
}

export function volumeDrop(overrides: Partial<NonNullable<Alert['volume']>['resources'][number]> = {}): NonNullable<Alert['volume']>['resources'][number] {
  return { name: 'orders', loaded: 0, medianLoaded: 1500, usualLow: 1200, usualHigh: 1900, samples: 30, ...overrides };
}

/** Stalled past a limit `maxRuntime: auto` learned from 30 runs of 4 to 6 minutes. */
export function learnedStalledAlert(): Alert {
  const alert = stalledAlert();
  const limitMs = 12 * MINUTE;
  return {
    ...alert,
    attempt: { ...alert.attempt!, durationMs: 27 * MINUTE },
    maxRuntimeMs: limitMs,
    runtime: { limitMs, source: 'learned', samples: 30, usualLowMs: 4 * MINUTE, usualHighMs: 6 * MINUTE, p95Ms: 7 * MINUTE, medianMs: 5 * MINUTE },
  };
}

/** Stalled past `autoFallback`: `auto` had only 4 successful runs to learn from. */
export function fallbackStalledAlert(): Alert {
  const alert = stalledAlert();
  return { ...alert, maxRuntimeMs: 2 * HOUR, runtime: { limitMs: 2 * HOUR, source: 'fallback', samples: 4 } };
}

export function recoveredFromAlert(resolves: NonNullable<Alert['resolves']>): Alert {
  return { ...recoveredAlert(), key: `689422:632470:recovered-${resolves.kind}`, resolves };
}
