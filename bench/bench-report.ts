/**
 * The bench's output: one row per figure, beside its target with PASS or MISS, printed as a table and written
 * as JSON (every detail) and Markdown (the table) under bench/results/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Target {
  op: '>=' | '<=' | '==';
  value: number;
}

export interface Figure {
  scenario: string;
  name: string;
  /** null when the scenario could not produce it (see note). */
  value: number | null;
  unit: string;
  target?: Target;
  note?: string;
  /** Decimals shown; default: none from 100 up, one from 10, two below. */
  digits?: number;
}

export interface ScenarioResult {
  figures: Figure[];
  /** Everything else measured, for the JSON file. */
  details: Record<string, unknown>;
}

export interface RunMeta {
  startedAt: string;
  durationS: number;
  command: string;
  quick: boolean;
  commit: string;
  node: string;
  cpus: number;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  redisVersion: string;
}

export type Verdict = 'PASS' | 'MISS' | '';

export function verdict(figure: Figure): Verdict {
  if (figure.target === undefined) return '';
  if (figure.value === null || !Number.isFinite(figure.value)) return 'MISS';
  const { op, value } = figure.target;
  const pass = op === '>=' ? figure.value >= value : op === '<=' ? figure.value <= value : Math.abs(figure.value - value) < 1e-9;
  return pass ? 'PASS' : 'MISS';
}

export function formatNumber(value: number | null, digits?: number): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  if (digits !== undefined) return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const magnitude = Math.abs(value);
  if (magnitude >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatTarget(target: Target | undefined, unit: string, digits: number | undefined): string {
  if (target === undefined) return '';
  const op = target.op === '>=' ? '≥' : target.op === '<=' ? '≤' : '=';
  return `${op} ${formatNumber(target.value, digits)} ${unit}`.trim();
}

function rows(figures: readonly Figure[]): string[][] {
  return figures.map((figure) => [
    figure.scenario,
    figure.name,
    `${formatNumber(figure.value, figure.digits)} ${figure.unit}`.trim(),
    formatTarget(figure.target, figure.unit, figure.digits),
    verdict(figure),
    figure.note ?? '',
  ]);
}

const HEADER = ['scenario', 'figure', 'value', 'target', 'verdict', 'note'];

export function renderTable(figures: readonly Figure[]): string {
  const table = [HEADER, ...rows(figures)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(HEADER), widths.map((width) => '-'.repeat(width)).join('  '), ...table.slice(1).map(line)].join('\n');
}

export function renderMarkdown(figures: readonly Figure[], meta: RunMeta): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const body = rows(figures).map((row) => `| ${row.map(escape).join(' | ')} |`);
  return [
    `# portable-watch bench — ${meta.startedAt}`,
    '',
    `\`${meta.command}\`${meta.quick ? ' (quick: smaller sizes, not comparable with the targets)' : ''}; commit ${meta.commit}; Node ${meta.node};`,
    `${meta.cpus} CPUs, load average ${meta.loadAverageStart.map((load) => load.toFixed(2)).join(' ')} at start, ` +
      `${meta.loadAverageEnd.map((load) => load.toFixed(2)).join(' ')} at end; Redis ${meta.redisVersion}; ${meta.durationS} s in all.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...body,
    '',
  ].join('\n');
}

export async function writeResults(
  directory: string,
  name: string,
  output: { meta: RunMeta; figures: Figure[]; details: Record<string, unknown> },
): Promise<{ json: string; markdown: string }> {
  await mkdir(directory, { recursive: true });
  const json = join(directory, `${name}.json`);
  const markdown = join(directory, `${name}.md`);
  const figures = output.figures.map((figure) => ({ ...figure, verdict: verdict(figure) }));
  await writeFile(json, `${JSON.stringify({ ...output, figures }, null, 2)}\n`);
  await writeFile(markdown, renderMarkdown(output.figures, output.meta));
  return { json, markdown };
}
