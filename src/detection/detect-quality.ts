import { alertKeyPrefix, type Alert, type AlertAttempt } from '../alerts/alert.ts';
import type { RunAttempt } from '../portable/run-attempt.ts';
import type { QualityIncident } from './flow-state.ts';
import { partialResources, volumeDrops, type RunHistory } from './run-history.ts';

/**
 * Data quality of a SUCCEEDED attempt: a partial load (errors, or rows extracted and not loaded) and a volume drop
 * (far fewer rows than the resource's own history). Each opens an incident, ended by the next success that does
 * not repeat it. Pure, like the rest of detection.
 */

export interface QualityIncidents {
  partial: QualityIncident | null;
  volume: QualityIncident | null;
}

export interface QualityRules {
  partial: boolean;
  volume: boolean;
  partialTolerance: number;
  sendOnResolved: boolean;
}

/**
 * Judges one succeeded attempt against the history learned before it. `judged` false (a success read as history)
 * still ends nothing and raises nothing.
 */
export function judgeSuccess(input: {
  flow: Alert['flow'];
  attempt: RunAttempt;
  alertAttempt: AlertAttempt;
  history: RunHistory;
  incidents: QualityIncidents;
  rules: QualityRules;
  now: number;
}): { alerts: Alert[]; incidents: QualityIncidents } {
  const { flow, attempt, rules, now } = input;
  const alerts: Alert[] = [];
  let { partial, volume } = input.incidents;
  const since = attempt.completedAt ?? now;
  const base = (kind: 'partial' | 'volume') => ({ key: `${alertKeyPrefix(flow)}-a${attempt.id}-${kind}`, kind, flow, attempt: input.alertAttempt, detectedAt: now });

  const loadedPart = rules.partial ? partialResources(attempt, rules.partialTolerance) : undefined;
  if (loadedPart !== undefined) {
    alerts.push({ ...base('partial'), partial: { resources: loadedPart.resources, toleranceRatio: rules.partialTolerance } });
    partial ??= { attemptId: attempt.id, since };
  } else if (partial !== null && attempt.id > partial.attemptId) {
    // A rule switched off ends its incident without a word: nothing was judged to have come right.
    if (rules.sendOnResolved && rules.partial) alerts.push(recovered(flow, input.alertAttempt, 'partial', partial, now));
    partial = null;
  }

  const drops = rules.volume ? volumeDrops(input.history, attempt.resources) : [];
  if (drops.length > 0) {
    alerts.push({ ...base('volume'), volume: { resources: drops } });
    volume ??= { attemptId: attempt.id, since };
  } else if (volume !== null && attempt.id > volume.attemptId) {
    if (rules.sendOnResolved && rules.volume) alerts.push(recovered(flow, input.alertAttempt, 'volume', volume, now));
    volume = null;
  }
  return { alerts, incidents: { partial, volume } };
}

function recovered(flow: Alert['flow'], attempt: AlertAttempt, kind: 'partial' | 'volume', incident: QualityIncident, now: number): Alert {
  return {
    key: `${alertKeyPrefix(flow)}-a${attempt.id}-recovered-${kind}`,
    kind: 'recovered',
    incident: `${alertKeyPrefix(flow)}-a${incident.attemptId}-${kind}`,
    flow,
    attempt,
    resolves: { kind, attemptId: incident.attemptId, since: incident.since },
    detectedAt: now,
  };
}
