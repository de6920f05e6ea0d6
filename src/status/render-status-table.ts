import { countOpenIncidents, type FlowStatus, type MonitorStatus, type StatusReport } from './flow-status.ts';
import { formatRelative } from './format-relative.ts';

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

const COLUMNS: Column[] = [
  { header: 'ID', cell: (flow) => String(flow.id) },
  { header: 'NAME', cell: (flow) => (flow.name === null ? '—' : printable(flow.name)), min: 12 },
  { header: 'LAST CHECK', cell: (flow, now) => (flow.lastCheck === null ? 'never' : `${flow.lastCheck.outcome} ${formatRelative(flow.lastCheck.at, now)}`) },
  { header: 'CHECKPOINT', cell: (flow, now) => (flow.checkpoint === null ? '—' : formatRelative(flow.checkpoint, now)) },
  { header: 'NEXT CHECK', cell: (flow, now) => nextCheckText(flow.nextCheck, now) },
  { header: 'OPEN INCIDENT', cell: (flow, now) => incidentText(flow, now), min: 26 },
  { header: 'LAST ALERT', cell: (flow, now) => (flow.lastAlert === null ? '—' : `${printable(flow.lastAlert.kind)} ${formatRelative(flow.lastAlert.at, now)}`), min: 24 },
];

/** The human form of `portable-watch status`: an account line when needed, the table, a summary. */
export function renderStatusTable(report: StatusReport, width = TABLE_WIDTH): string {
  const rows = report.flows.map((flow) => COLUMNS.map((column) => column.cell(flow, report.now)));
  const widths = fitWidths(
    COLUMNS.map((column, index) => Math.max(length(column.header), ...rows.map((row) => length(row[index] ?? '')))),
    width,
  );
  const line = (cells: string[]) => cells.map((cell, index) => pad(cell, widths[index] ?? 0)).join(GAP).trimEnd();
  const lines = [line(COLUMNS.map((column) => column.header)), ...rows.map(line)];
  if (report.account !== null) lines.unshift(...accountLines(report.account, report.now, width), '');
  if (report.flows.some((flow) => flow.monitor?.alerted === false)) {
    lines.push('', '(monitor: …) checks are failing but nobody was alerted yet: transient errors alert only once they persist.');
  }
  lines.push('', summary(report));
  return lines.join('\n');
}

function nextCheckText(next: number | null, now: number): string {
  if (next === null) return 'not scheduled';
  // A time in the past means the job is waiting for a worker: none is running, or all are busy.
  return next > now ? formatRelative(next, now) : `due ${formatRelative(next, now)}`;
}

function incidentText(flow: FlowStatus, now: number): string {
  const parts: string[] = [];
  if (flow.runIncident !== null) parts.push(`${flow.runIncident.kind} ${formatRelative(flow.runIncident.since, now)}`);
  if (flow.monitor !== null) {
    const text = `monitor: ${flow.monitor.problem} ${formatRelative(flow.monitor.since, now)}`;
    parts.push(flow.monitor.alerted ? text : `(${text})`);
  }
  return parts.length === 0 ? '—' : parts.join('; ');
}

/** The account's problem stops every flow, so it comes first, with its whole message: it says what to fix. */
function accountLines(account: MonitorStatus, now: number, width: number): string[] {
  const pending = account.alerted ? '' : ' (not alerted yet)';
  const head = `ACCOUNT: monitor: ${account.problem} ${formatRelative(account.since, now)}${pending} — no flow can be checked until it is fixed:`;
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
function fitWidths(natural: readonly number[], width: number): number[] {
  const widths = [...natural];
  let excess = widths.reduce((sum, each) => sum + each, 0) + GAP.length * (widths.length - 1) - width;
  while (excess > 0) {
    let widest = -1;
    COLUMNS.forEach((column, index) => {
      const current = widths[index] ?? 0;
      if (column.min !== undefined && current > column.min && (widest < 0 || current > (widths[widest] ?? 0))) widest = index;
    });
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess -= 1;
  }
  return widths;
}

/** Names and messages come from Portable and the config: control and bidi characters must not reach the terminal. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]+/gu, ' ');
}

/** Counts code points, so an emoji is not cut in half; East Asian wide characters still misalign (rare in names). */
function length(text: string): number {
  return Array.from(text).length;
}

function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

function pad(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + ' '.repeat(Math.max(0, width - length(cut)));
}
