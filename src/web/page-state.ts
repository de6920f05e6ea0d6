import type { FlowStatus } from '../status/flow-status.ts';

/**
 * What a row of the status page says about a flow, worst first: the order of the page and of the state filter.
 * `error` is a flow the worker cannot check (Portable refuses or does not answer); `silenced` a flow whose alerts a
 * silence or maintenance window holds now, whatever is wrong with it; `new` one never checked yet.
 */
export const PAGE_STATES = ['failing', 'stalled', 'missed', 'partial', 'volume', 'error', 'silenced', 'new', 'ok'] as const;
export type PageState = (typeof PAGE_STATES)[number];

export const PAGE_STATE_LABELS: Readonly<Record<PageState, string>> = {
  failing: 'failing',
  stalled: 'stalled',
  missed: 'missed run',
  partial: 'partial load',
  volume: 'volume drop',
  error: 'cannot check',
  silenced: 'silenced',
  new: 'not checked yet',
  ok: 'ok',
};

/** The flow's worst open incident, ignoring silences; null when nothing is open. */
export function incidentState(flow: FlowStatus): { state: PageState; since: number } | null {
  if (flow.runIncident !== null) return { state: flow.runIncident.kind === 'failed' ? 'failing' : 'stalled', since: flow.runIncident.since };
  if (flow.missed !== null) return { state: 'missed', since: flow.missed.since };
  if (flow.partial !== null) return { state: 'partial', since: flow.partial.since };
  if (flow.volume !== null) return { state: 'volume', since: flow.volume.since };
  if (flow.monitor !== null) return { state: 'error', since: flow.monitor.since };
  return null;
}

/**
 * The row's state: a silence wins over the incident it holds (people were told why it is quiet), an incident over
 * being unchecked. `silenced` says whether a silence in force matches the flow.
 */
export function pageStateOf(flow: FlowStatus, silenced: boolean): { state: PageState; since: number | null; incident: PageState | null } {
  const incident = incidentState(flow);
  if (silenced || flow.held.length > 0) {
    const heldSince = flow.held.length === 0 ? null : Math.min(...flow.held.map((held) => held.heldAt));
    return { state: 'silenced', since: incident?.since ?? heldSince, incident: incident?.state ?? null };
  }
  if (incident !== null) return { ...incident, incident: incident.state };
  if (flow.lastCheck === null) return { state: 'new', since: null, incident: null };
  return { state: 'ok', since: flow.lastRun?.completedAt ?? flow.lastCheck.at, incident: null };
}

export function stateRank(state: PageState): number {
  return PAGE_STATES.indexOf(state);
}

export function isPageState(value: string): value is PageState {
  return (PAGE_STATES as readonly string[]).includes(value);
}
