/**
 * `node bench/summarise-profile.ts FILE.cpuprofile [--top N]`: where a worker's CPU went, from a profile written
 * by `npm run bench -- --cpu-prof DIR`. Self time by package (our src/ and jobs/ by file), and the functions
 * with the most self time and the most inclusive time (each sample counted once per function on its stack).
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** `bullmq`, `src/checks/check-flow.ts`, `node:internal`, `(idle)`… */
function owner(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1] !== undefined) return modules[1];
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const own = /\/((?:src|jobs|bench)\/.*)$/.exec(url);
  return own?.[1] ?? url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${owner(url, functionName)}:${lineNumber + 1}`;
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string {
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(([name, ms]) => `${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / all).toFixed(1).padStart(5)}%  ${name}`);
  return [`${title}`, ...lines].join('\n');
}

async function main(file: string, top: number): Promise<void> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfByOwner = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const node = byId.get(id);
    if (node === undefined) return;
    const who = owner(node.callFrame.url, node.callFrame.functionName);
    selfByOwner.set(who, (selfByOwner.get(who) ?? 0) + ms);
    if (who === '(idle)' || who === '(program)' || who === '(garbage collector)') {
      if (who !== '(idle)') busy += ms;
      return;
    }
    busy += ms;
    selfByFunction.set(label(node), (selfByFunction.get(label(node)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame === undefined) break;
      const name = label(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  });
  const wall = (profile.endTime - profile.startTime) / 1000;
  console.log(`${file}\n${wall.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms busy (${((100 * busy) / wall).toFixed(0)}%); shares below are of busy time\n`);
  selfByOwner.delete('(idle)');
  console.log(table('self time by package / file', selfByOwner, busy, top), '\n');
  console.log(table('self time by function', selfByFunction, busy, top), '\n');
  const ours = new Map([...inclusive].filter(([name]) => / (src|jobs)\//.test(name)));
  console.log(table('inclusive time, functions in src/ and jobs/', ours, busy, top));
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const file = args.find((arg, index) => !arg.startsWith('--') && !(topAt >= 0 && index === topAt + 1));
if (file === undefined) {
  console.error('usage: node bench/summarise-profile.ts FILE.cpuprofile [--top N]');
  process.exitCode = 2;
} else {
  await main(file, top);
}
