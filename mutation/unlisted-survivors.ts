/**
 * Prints every mutant the last `npm run mutate` left alive (Survived or NoCoverage in mutation/report.json) that
 * mutation/README.md does not list as equivalent, and exits 1 when there is one. A listed mutant is a table row
 * whose first cell is `file:line` and whose second cell begins with the mutator's name.
 */
import { existsSync, readFileSync } from 'node:fs';

interface ReportMutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number } };
}

const reportUrl = new URL('report.json', import.meta.url);
if (!existsSync(reportUrl)) {
  console.error('mutation/report.json is missing: run `npm run mutate` first (it writes the report; it is not committed)');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportUrl, 'utf8')) as { files: Record<string, { mutants: ReportMutant[] }> };
const readme = readFileSync(new URL('README.md', import.meta.url), 'utf8');

const listed = new Set<string>();
for (const line of readme.split('\n')) {
  const cells = line.split('|').map((cell) => cell.trim().replaceAll('`', ''));
  const [, where, what] = cells;
  if (where === undefined || what === undefined || !/^src\/\S+:\d+$/.test(where)) continue;
  listed.add(`${where} ${what.split(/[:\s]/)[0] ?? ''}`);
}

const unlisted: string[] = [];
for (const [file, { mutants }] of Object.entries(report.files)) {
  for (const mutant of mutants) {
    if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
    const where = `${file}:${mutant.location.start.line}`;
    if (!listed.has(`${where} ${mutant.mutatorName}`)) unlisted.push(`${where} ${mutant.status} ${mutant.mutatorName} → ${JSON.stringify(mutant.replacement ?? '')}`);
  }
}
for (const line of unlisted) console.log(line);
console.log(`${unlisted.length} surviving mutant(s) not listed as equivalent in mutation/README.md`);
process.exitCode = unlisted.length > 0 ? 1 : 0;
