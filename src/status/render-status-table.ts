import { countOpenIncidents, totalUnsentAlerts, type FlowStatus, type MonitorStatus, type OtherUnsentCount, type StatusReport, type UnsentCount } from './flow-status.ts';
import { formatRelative } from './format-relative.ts';
import { length, pad, printable, truncate } from './terminal-text.ts';

/** Fits a terminal of the traditional 120 columns; wider content is cut at the end of the longest texts. */
export const TABLE_WIDTH = 120;
const GAP = '  ';

interface Column {
  header: string;
  cell(flow: FlowStatus, now: number): string;
  /**
   * Narrowest this column may be squeezed to when the table is too wide; undefined: never squeezed. The minimums
   * hold the longest single incident and alert texts whole, so with them the table fits 120 columns.
   */
  min?: number;
}

const FLOW_COLUMNS: Column[] = [
  { header: 'ID', cell: (flow) => String(flow.id) },
  { header: 'NAME', cell: (flow) => (flow.name === null ? '—' : printable(flow.name)), min: 12 },
  { header: 'LAST CHECK', cell: (flow, now) => (flow.lastCheck === null ? 'never' : `${flow.lastCheck.outcome} ${formatRelative(flow.lastCheck.at, now)}`) },
  { header: 'CHECKPOINT', cell: (flow, now) => (flow.checkpoint === null ? '—' : formatRelative(flow.checkpoint, now)) },
  { header: 'NEXT CHECK', cell: (flow, now) => nextCheckText(flow.nextCheck, now) },
  { header: 'OPEN INCIDENT', cell: (flow, now) => incidentText(flow, now), min: 26 },
  { header: 'LAST ALERT', cell: (flow, now) => (flow.lastAlert === null ? '—' : `${printable(flow.lastAlert.kind)} ${formatRelative(flow.lastAlert.at, now)}`), min: 24 },
];

/**
 * The human form of `portable-watch status`: an account line when needed, the table (under a flow's row, a line for a
 * missed run and one for its unsent alerts, per notifier), unsent alerts about no flow in it, a summary.
 */
/** With several accounts, which one a row's flow belongs to; two accounts may each have a flow 42. */
const ACCOUNT_COLUMN: Column = { header: 'ACCOUNT', cell: (flow) => printable(flow.account ?? 'default') };

export function renderStatusTable(report: StatusReport, width = TABLE_WIDTH): string {
  const columns = report.flows.some((flow) => flow.account !== undefined) ? [ACCOUNT_COLUMN, ...FLOW_COLUMNS] : FLOW_COLUMNS;
  const rows = report.flows.map((flow) => columns.map((column) => column.cell(flow, report.now)));
  const widths = fitWidths(
    columns,
    columns.map((column, index) => Math.max(length(column.header), ...rows.map((row) => length(row[index] ?? '')))),
    width,
  );
  const line = (cells: string[]) => cells.map((cell, index) => pad(cell, widths[index] ?? 0)).join(GAP).trimEnd();
  // Under the NAME column, so the ID column still reads as a list of flows.
  const indent = ' '.repeat((widths[0] ?? 0) + GAP.length);
  const lines = [line(columns.map((column) => column.header))];
  report.flows.forEach((flow, index) => {
    lines.push(line(rows[index] ?? []));
    if (flow.missed !== null) lines.push(truncate(`${indent}${missedText(flow.missed, report.now)}`, width));
    if (flow.unsentAlerts.length > 0) lines.push(truncate(`${indent}unsent — ${unsentText(flow.unsentAlerts)}`, width));
    for (const held of flow.held) lines.push(truncate(`${indent}${heldText(held, report.now)}`, width));
    if (flow.inDigest.length > 0) {
      const counts = flow.inDigest.map((each) => `${printable(each.notifier)}: ${each.alerts}`).join('; ');
      lines.push(truncate(`${indent}in the next digest — ${counts}`, width));
    }
  });
  for (const { account, monitor } of [...(report.otherAccounts ?? [])].reverse()) lines.unshift(...accountLines(monitor, report.now, width, account), '');
  if (report.account !== null) lines.unshift(...accountLines(report.account, report.now, width), '');
  if (report.otherUnsentAlerts.length > 0) lines.push('', 'Unsent alerts about no flow above:', ...otherUnsentLines(report.otherUnsentAlerts, width));
  if (report.flows.some((flow) => flow.monitor?.alerted === false)) {
    lines.push('', '(monitor: …) checks are failing but nobody was alerted yet: transient errors alert only once they persist.');
  }
  lines.push('', ...unsentSummary(report), summary(report));
  return lines.join('\n');
}

/** Under a flow with a missed run: how long nothing has run, which the OPEN INCIDENT cell has no room to say. */
function missedText(missed: NonNullable<FlowStatus['missed']>, now: number): string {
  const last = missed.lastRunAt === null ? 'no run seen since watching began' : `last run ${formatRelative(missed.lastRunAt, now)}`;
  return `missed run — ${last}, one was expected ${formatRelative(missed.expectedAt, now)}`;
}

/** `held — failed for oncall by silence s-1a2b3c4d ("migration") until in 1h 40m, held 20m ago`. */
function heldText(held: FlowStatus['held'][number], now: number): string {
  return `held — ${printable(held.kind)} for ${printable(held.notifier)} by ${printable(held.heldBy)} until ${formatRelative(held.until, now)}, held ${formatRelative(held.heldAt, now)}`;
}

/** `oncall: 2 given up; data-team: 1 retrying, 1 waiting`, given up first: that one needs a person. */
function unsentText(counts: readonly UnsentCount[]): string {
  return counts.map((count) => `${printable(count.notifier)}: ${stateCounts(count)}`).join('; ');
}

function stateCounts(count: Omit<UnsentCount, 'notifier'>): string {
  const parts: string[] = [];
  if (count.givenUp > 0) parts.push(`${count.givenUp} given up`);
  if (count.retrying > 0) parts.push(`${count.retrying} retrying`);
  if (count.waiting > 0) parts.push(`${count.waiting} waiting`);
  return parts.join(', ');
}

/** One line per account, installation or unlisted flow, its notifiers together. */
function otherUnsentLines(others: readonly OtherUnsentCount[], width: number): string[] {
  const groups = new Map<string, { about: string; counts: OtherUnsentCount[] }>();
  for (const count of others) {
    const about =
      count.flow === null ? `${count.scope}-wide` : `flow ${count.flow.id} ${printable(count.flow.name)} (not in this config)`;
    const group = groups.get(about) ?? { about, counts: [] };
    group.counts.push(count);
    groups.set(about, group);
  }
  return [...groups.values()].map(({ about, counts }) => truncate(`  ${about} — ${unsentText(counts)}`, width));
}

/** Only when something is unsent; given-up alerts wait for a person, so the line says where to look. */
function unsentSummary(report: StatusReport): string[] {
  const total = totalUnsentAlerts(report);
  const count = total.givenUp + total.retrying + total.waiting;
  if (count === 0) return [];
  const alerts = `${count} ${count === 1 ? 'alert' : 'alerts'} not sent yet (${stateCounts(total)})`;
  return [total.givenUp > 0 ? `${alerts}: portable-watch alerts shows why` : alerts];
}

function nextCheckText(next: number | null, now: number): string {
  if (next === null) return 'not scheduled';
  // A time in the past means the job is waiting for a worker: none is running, or all are busy.
  return next > now ? formatRelative(next, now) : `due ${formatRelative(next, now)}`;
}

/** Each open incident with when it began: `failed 3h ago`, `missed since 2h ago` (the run expected then), `partial 5m ago`. */
function incidentText(flow: FlowStatus, now: number): string {
  const parts: string[] = [];
  if (flow.runIncident !== null) parts.push(`${flow.runIncident.kind} ${formatRelative(flow.runIncident.since, now)}`);
  if (flow.missed !== null) parts.push(`missed since ${formatRelative(flow.missed.expectedAt, now)}`);
  if (flow.partial !== null) parts.push(`partial ${formatRelative(flow.partial.since, now)}`);
  if (flow.volume !== null) parts.push(`volume ${formatRelative(flow.volume.since, now)}`);
  if (flow.monitor !== null) {
    const text = `monitor: ${flow.monitor.problem} ${formatRelative(flow.monitor.since, now)}`;
    parts.push(flow.monitor.alerted ? text : `(${text})`);
  }
  if (parts.length > 0) return parts.join('; ');
  // Nothing open: a failure that has recovered (or had, before watching began) is still worth a glance.
  return flow.lastFailure === null ? '—' : `— (last failed ${formatRelative(flow.lastFailure.at, now)})`;
}

/** The account's problem stops every flow, so it comes first, with its whole message: it says what to fix. */
function accountLines(account: MonitorStatus, now: number, width: number, name?: string): string[] {
  const pending = account.alerted ? '' : ' (not alerted yet)';
  const head = `ACCOUNT${name === undefined ? '' : ` ${printable(name)}`}: monitor: ${account.problem} ${formatRelative(account.since, now)}${pending} — ${name === undefined ? 'no flow' : 'none of its flows'} can be checked until it is fixed:`;
  return [truncate(head, width), ...wrap(printable(account.message), width - 2).map((line) => `  ${line}`)];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ').filter((each) => each !== '')) {
    if (current !== '' && length(current) + 1 + length(word) > width) {
      lines.push(current);
      current = '';
    }
    current = current === '' ? truncate(word, width) : `${current} ${word}`;
  }
  return current === '' ? lines : [...lines, current];
}

function summary(report: StatusReport): string {
  const flows = report.flows.length;
  const parts = [`${flows} ${flows === 1 ? 'flow' : 'flows'}`];
  const open = countOpenIncidents(report);
  parts.push(`${open} open ${open === 1 ? 'incident' : 'incidents'}`);
  const never = report.flows.filter((flow) => flow.lastCheck === null).length;
  if (never > 0) parts.push(`${never} never checked`);
  const unscheduled = report.flows.filter((flow) => flow.nextCheck === null).length;
  if (unscheduled > 0) parts.push(`${unscheduled} not scheduled (is a worker running with this config and QUEUE_PREFIX?)`);
  return parts.join(', ');
}

/**
 * Narrows the widest squeezable column, one character at a time, until the table fits `width` or every
 * squeezable column is at its minimum: the longest texts lose their ends, short ones stay whole.
 */
function fitWidths(columns: readonly Column[], natural: readonly number[], width: number): number[] {
  const widths = [...natural];
  let excess = widths.reduce((sum, each) => sum + each, 0) + GAP.length * (widths.length - 1) - width;
  while (excess > 0) {
    let widest = -1;
    columns.forEach((column, index) => {
      const current = widths[index] ?? 0;
      if (column.min !== undefined && current > column.min && (widest < 0 || current > (widths[widest] ?? 0))) widest = index;
    });
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess -= 1;
  }
  return widths;
}
