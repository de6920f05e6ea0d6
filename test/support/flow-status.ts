import type { FlowStatus } from '../../src/status/flow-status.ts';

/** A flow as `status` reads it, nothing known but its id: tests add what their case is about. */
export function flowStatus(overrides: Partial<FlowStatus> & { id: number }): FlowStatus {
  return {
    name: null,
    lastCheck: null,
    checkpoint: null,
    nextCheck: null,
    runIncident: null,
    lastFailure: null,
    monitor: null,
    missed: null,
    partial: null,
    volume: null,
    lastRun: null,
    lastAlert: null,
    unsentAlerts: [],
    held: [],
    inDigest: [],
    recentAttempts: [],
    ...overrides,
  };
}
