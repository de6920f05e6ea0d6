import { flowKeyOf, type FlowKey } from '../accounts/flow-ref.ts';
import type { FlowStatus, RecentAttemptStatus, StatusReport, UnsentCount } from '../status/flow-status.ts';
import { silenceMatchesFlow } from '../silences/match-silence.ts';
import { describeKinds, describeMatchers } from '../silences/render-silences.ts';
import type { Silence } from '../silences/silence-types.ts';
import { isPageState, PAGE_STATES, pageStateOf, stateRank, type PageState } from './page-state.ts';

/**
 * The status page as data: rows sorted worst first and filtered, the choices the filters offer, the worker's health
 * and the silences. Built from the same StatusReport as `portable-watch status`, so page and terminal agree.
 */

/** What the URL's query keeps: `?state=failing&label=team%3Dgrowth&account=prod&q=orders`. Empty: no filter. */
export interface PageFilters {
  state: PageState | '';
  /** `key=value`. */
  label: string;
  account: string;
  q: string;
}

export interface FlowRow {
  key: FlowKey;
  id: number;
  /** Null for the default account (an installation with `portable:` only). */
  account: string | null;
  name: string;
  /** The flow's page. */
  href: string;
  /** Its labels, `account` left out (shown as a column of its own), sorted by key. */
  labels: ReadonlyArray<readonly [string, string]>;
  state: PageState;
  /** The incident a silence holds (state `silenced`), else the same as `state` when an incident is open; null when none. */
  incident: PageState | null;
  /** Since when it has been in this state (epoch ms); null when unknown. */
  since: number | null;
  /** One line saying what is wrong: the error's first line, why it cannot be checked; null when nothing is. */
  problem: string | null;
  /** The silence or window holding its alerts. */
  silencedBy: string | null;
  lastRun: { attemptId: number; outcome: RecentAttemptStatus['outcome'] | 'running'; createdAt: number; durationMs: number | null } | null;
  lastCheck: FlowStatus['lastCheck'];
  nextCheck: number | null;
  /** Oldest first, at most 30. */
  recent: readonly RecentAttemptStatus[];
}

export interface WorkerHealth {
  redis: { answering: boolean };
  /** The watchdog's verdict: checks complete. */
  checks: { healthy: true } | { healthy: false; reason: string };
  /** Flows with a Job Scheduler in Redis, of those watched. */
  schedules: { present: number; expected: number };
  /** Alerts not delivered yet, per notifier that has any. */
  notifiers: ReadonlyArray<Omit<UnsentCount, 'notifier'> & { notifier: string }>;
  /** The last config reload: none since the start, applied, or refused (the worker runs the previous config). */
  reload: { result: 'none' | 'applied' | 'refused' | 'restored'; at: number | null; problems: readonly string[] };
}

export interface SilenceView {
  id: string;
  /** `flow 42 and labels team=growth`. */
  matches: string;
  kinds: string;
  startsAt: number;
  endsAt: number;
  reason: string;
  /** Flows of this page it matches now. */
  flows: number;
}

export interface StatusPageModel {
  now: number;
  health: WorkerHealth;
  /** An account Portable refuses (revoked token): every flow of it goes unchecked. */
  accountProblems: ReadonlyArray<{ account: string | null; message: string; since: number }>;
  filters: PageFilters;
  /** The query string of the filters (`?state=failing`, or ''), for links and the refresh. */
  query: string;
  rows: readonly FlowRow[];
  /** Rows before filtering. */
  total: number;
  counts: Readonly<Record<PageState, number>>;
  labels: ReadonlyArray<{ label: string; count: number }>;
  /** Empty with one account. */
  accounts: readonly string[];
  silences: readonly SilenceView[];
  /** Whether adding and removing silences is offered (UI_WRITE_TOKEN is set). */
  canWrite: boolean;
}

export function parseFilters(query: URLSearchParams): PageFilters {
  const state = query.get('state') ?? '';
  return {
    state: isPageState(state) ? state : '',
    label: (query.get('label') ?? '').trim(),
    account: (query.get('account') ?? '').trim(),
    q: (query.get('q') ?? '').trim().slice(0, 200),
  };
}

export function filtersQuery(filters: PageFilters): string {
  const query = new URLSearchParams();
  for (const name of ['state', 'label', 'account', 'q'] as const) if (filters[name] !== '') query.set(name, filters[name]);
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/** The flow's page: `/flows/42`, or `/flows/prod/42` for a named account. */
export function flowHref(flow: { id: number; account?: string | undefined }): string {
  return flow.account === undefined ? `/flows/${flow.id}` : `/flows/${encodeURIComponent(flow.account)}/${flow.id}`;
}

export function buildStatusPage(input: {
  /** Now, rather than when the (shared, up to 2 s old) report was read: a silence added a moment ago is in force. */
  now?: number;
  report: StatusReport;
  /** Labels of each watched flow, by key (from the config the worker runs). */
  flows: ReadonlyMap<FlowKey, Readonly<Record<string, string>>>;
  silences: readonly Silence[];
  health: WorkerHealth;
  filters: PageFilters;
  canWrite: boolean;
}): StatusPageModel {
  const { report, filters } = input;
  const now = input.now ?? report.now;
  const active = input.silences.filter((silence) => silence.startsAt <= now && now < silence.endsAt);
  const all = report.flows.map((flow) => flowRow(flow, input.flows.get(flowKeyOf(flow)) ?? {}, active));
  all.sort((first, second) => stateRank(first.state) - stateRank(second.state) || (first.since ?? Infinity) - (second.since ?? Infinity) || first.name.localeCompare(second.name) || first.id - second.id);
  const counts = Object.fromEntries(PAGE_STATES.map((state) => [state, 0])) as Record<PageState, number>;
  const labels = new Map<string, number>();
  for (const row of all) {
    counts[row.state] += 1;
    for (const [key, value] of row.labels) labels.set(`${key}=${value}`, (labels.get(`${key}=${value}`) ?? 0) + 1);
  }
  const accounts = [...new Set(all.flatMap((row) => (row.account === null ? [] : [row.account])))].sort();
  const flowsOfSilence = (silence: Silence) => all.filter((row) => silenceMatchesFlow(silence, { id: row.id, name: row.name, labels: labelsOf(input.flows, row) })).length;
  return {
    now,
    health: input.health,
    accountProblems: [
      ...(report.account?.alerted === true ? [{ account: null, message: report.account.message, since: report.account.since }] : []),
      ...(report.otherAccounts ?? []).filter(({ monitor }) => monitor.alerted).map(({ account, monitor }) => ({ account, message: monitor.message, since: monitor.since })),
    ],
    filters,
    query: filtersQuery(filters),
    rows: all.filter((row) => matchesFilters(row, filters)),
    total: all.length,
    counts,
    labels: [...labels].sort(([first], [second]) => first.localeCompare(second)).map(([label, count]) => ({ label, count })),
    accounts,
    silences: input.silences.map((silence) => ({
      id: silence.id,
      matches: describeMatchers(silence),
      kinds: describeKinds(silence),
      startsAt: silence.startsAt,
      endsAt: silence.endsAt,
      reason: silence.reason,
      flows: flowsOfSilence(silence),
    })),
    canWrite: input.canWrite,
  };
}

function labelsOf(flows: ReadonlyMap<FlowKey, Readonly<Record<string, string>>>, row: FlowRow): Readonly<Record<string, string>> {
  return flows.get(row.key) ?? {};
}

export function flowRow(flow: FlowStatus, labels: Readonly<Record<string, string>>, activeSilences: readonly Silence[]): FlowRow {
  const name = flow.name ?? `flow ${flow.id}`;
  const silence = activeSilences.find((candidate) => silenceMatchesFlow(candidate, { id: flow.id, name, labels }));
  const { state, since, incident } = pageStateOf(flow, silence !== undefined);
  const held = flow.held[0];
  return {
    key: flowKeyOf(flow),
    id: flow.id,
    account: flow.account ?? null,
    name,
    href: flowHref(flow),
    labels: Object.entries(labels)
      .filter(([key]) => key !== 'account')
      .sort(([first], [second]) => first.localeCompare(second)),
    state,
    incident,
    since,
    problem: problemOf(flow),
    silencedBy: held?.heldBy ?? (silence === undefined ? null : `silence ${silence.id} ("${silence.reason}")`),
    lastRun: lastRunOf(flow),
    lastCheck: flow.lastCheck,
    nextCheck: flow.nextCheck,
    recent: flow.recentAttempts,
  };
}

function problemOf(flow: FlowStatus): string | null {
  if (flow.runIncident !== null) {
    const first = firstLine(flow.runIncident.error);
    if (flow.runIncident.kind === 'stalled') return `attempt ${flow.runIncident.attemptId} still running past its limit`;
    return first ?? `attempt ${flow.runIncident.attemptId} failed`;
  }
  if (flow.missed !== null) return 'no run since one was expected';
  if (flow.partial !== null) return `attempt ${flow.partial.attemptId} loaded only part of the data`;
  if (flow.volume !== null) return `attempt ${flow.volume.attemptId} loaded far fewer rows than usual`;
  if (flow.monitor !== null) return firstLine(flow.monitor.message);
  return null;
}

function firstLine(text: string | null | undefined): string | null {
  const line = text?.split('\n').find((part) => part.trim() !== '')?.trim();
  return line === undefined || line === '' ? null : line;
}

function lastRunOf(flow: FlowStatus): FlowRow['lastRun'] {
  const latest = flow.recentAttempts.at(-1);
  if (flow.lastRun !== null && flow.lastRun.completedAt === null && flow.lastRun.attemptId !== latest?.attemptId) {
    return { attemptId: flow.lastRun.attemptId, outcome: 'running', createdAt: flow.lastRun.createdAt, durationMs: null };
  }
  return latest === undefined ? null : { attemptId: latest.attemptId, outcome: latest.outcome, createdAt: latest.createdAt, durationMs: latest.durationMs };
}

export function matchesFilters(row: FlowRow, filters: PageFilters): boolean {
  if (filters.state !== '' && row.state !== filters.state) return false;
  if (filters.account !== '' && row.account !== filters.account) return false;
  if (filters.label !== '') {
    const at = filters.label.indexOf('=');
    const [key, value] = at < 0 ? [filters.label, undefined] : [filters.label.slice(0, at), filters.label.slice(at + 1)];
    const found = row.labels.find(([candidate]) => candidate === key);
    if (found === undefined || (value !== undefined && found[1] !== value)) return false;
  }
  if (filters.q !== '') {
    const needle = filters.q.toLowerCase();
    const haystack = [row.name, String(row.id), row.account ?? '', row.problem ?? '', ...row.labels.map(([key, value]) => `${key}=${value}`)].join(' ').toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}
