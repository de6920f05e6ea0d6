import { countByState, type UnsentAlert, type UnsentState } from '../delivery/read-unsent-alerts.ts';
import { formatRelative } from './format-relative.ts';
import type { AlertsReport } from './render-alerts-json.ts';
import { alignColumns, printable, truncate } from './terminal-text.ts';

/** Flow names are cut here so that the last errors, the part to act on, start in the same column on every row. */
const FLOW_WIDTH = 32;

const STATE_TEXT: Record<UnsentState, string> = { 'given-up': 'given up', retrying: 'retrying', waiting: 'waiting' };

interface Column {
  header: string;
  cell(alert: UnsentAlert, now: number): string;
}

const COLUMNS: Column[] = [
  { header: 'STATE', cell: (alert) => STATE_TEXT[alert.state] },
  { header: 'KIND', cell: (alert) => printable(alert.kind) },
  { header: 'FLOW', cell: (alert) => truncate(flowText(alert), FLOW_WIDTH) },
  { header: 'NOTIFIER', cell: (alert) => printable(alert.notifier) },
  // How long the alert has waited for this notifier: `5m`, not `5m ago`, in a column of ages.
  { header: 'AGE', cell: (alert, now) => formatRelative(alert.queuedAt, now).replace(/ ago$/, '') },
  { header: 'ATTEMPTS', cell: (alert) => `${alert.attempts}/${alert.maxAttempts}` },
  // Last and never cut: it says what to fix.
  { header: 'LAST ERROR', cell: (alert) => (alert.lastError === null ? '—' : printable(alert.lastError)) },
];

/** The human form of `portable-watch alerts`: a table, a count by state, and what to do about given-up alerts. */
export function renderAlertsTable(report: AlertsReport): string {
  if (report.alerts.length === 0) return 'No alerts waiting, retrying or given up.';
  const rows = report.alerts.map((alert) => COLUMNS.map((column) => column.cell(alert, report.now)));
  const lines = [...alignColumns(COLUMNS.map((column) => column.header), rows), ''];
  const counts = countByState(report.alerts);
  lines.push(`${counts.givenUp} given up, ${counts.retrying} retrying, ${counts.waiting} waiting.`);
  if (counts.givenUp > 0) {
    lines.push('Given-up alerts are not tried again by themselves. Fix what LAST ERROR says, then:');
    lines.push('  portable-watch alerts retry --notifier NAME    (or --all; a running worker sends them)');
  }
  return lines.join('\n');
}

function flowText(alert: UnsentAlert): string {
  if (alert.flow === null) return `${alert.scope}-wide`;
  return `${alert.flow.id} ${printable(alert.flow.name)}`;
}
