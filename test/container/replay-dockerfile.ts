import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, relative } from 'node:path';
import { readDockerIgnore, type IsIgnored } from './docker-ignore.ts';
import { parseCommand, parseDockerfile, parseKeyValues, splitWords, substitute, takeFlags, type Command, type Instruction } from './parse-dockerfile.ts';

/**
 * Builds a Dockerfile without Docker: each stage gets a folder that stands in for the container's filesystem
 * root (`/app` is `<stage folder>/app`), COPY copies from the build context (minus .dockerignore) or from an
 * earlier stage, RUN runs `sh -c` on this machine in the stage's WORKDIR with the stage's ENV, and the
 * run-time settings (CMD, USER, HEALTHCHECK, EXPOSE…) are recorded for the test to check and start.
 * An instruction it does not know fails the replay, so a changed Dockerfile cannot be silently half-tested.
 */

export interface ImageStage {
  name: string | undefined;
  base: string;
  root: string;
  /** Absolute, as in the image. */
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  expose: string[];
  entrypoint: Command | undefined;
  cmd: Command | undefined;
  healthcheck: { options: Record<string, string>; command: Command } | undefined;
  stopSignal: string | undefined;
  labels: Record<string, string>;
}

export interface ReplayOptions {
  /** The build context: the repository. */
  context: string;
  /** A folder for the stages' roots. */
  workRoot: string;
  /** What every RUN starts from: PATH with the image's node first, HOME for npm's cache. */
  baseEnv: Record<string, string>;
  onStep?: (step: string, ms: number) => void;
}

interface Replay extends ReplayOptions {
  stages: ImageStage[];
  isIgnored: IsIgnored;
}

/** Where a path inside a stage's image lies on this machine; relative paths start at WORKDIR. */
export function hostPath(stage: ImageStage, imagePath: string): string {
  return join(stage.root, posix.resolve(stage.workdir, imagePath));
}

export async function replayDockerfile(options: ReplayOptions): Promise<ImageStage[]> {
  const replay: Replay = { ...options, stages: [], isIgnored: await readDockerIgnore(options.context) };
  for (const instruction of parseDockerfile(await readFile(join(options.context, 'Dockerfile'), 'utf8'))) {
    const started = Date.now();
    try {
      await apply(replay, instruction);
    } catch (error) {
      throw new Error(`Dockerfile line ${instruction.line} (${instruction.keyword}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    options.onStep?.(`${instruction.keyword} ${instruction.text}`, Date.now() - started);
  }
  return replay.stages;
}

async function apply(replay: Replay, { keyword, text }: Instruction): Promise<void> {
  if (keyword === 'FROM') {
    replay.stages.push(await newStage(replay, text));
    return;
  }
  const stage = replay.stages.at(-1);
  if (stage === undefined) throw new Error('comes before the first FROM');
  const expanded = substitute(text, stage.env);
  switch (keyword) {
    case 'WORKDIR':
      stage.workdir = posix.resolve(stage.workdir, expanded);
      await mkdir(hostPath(stage, '.'), { recursive: true });
      break;
    case 'ENV':
      Object.assign(stage.env, Object.fromEntries(parseKeyValues(expanded)));
      break;
    case 'LABEL':
      Object.assign(stage.labels, Object.fromEntries(parseKeyValues(expanded)));
      break;
    case 'COPY':
      await copy(replay, stage, expanded);
      break;
    case 'RUN':
      await run(replay, stage, text);
      break;
    case 'USER':
      stage.user = expanded;
      break;
    case 'EXPOSE':
      stage.expose.push(...splitWords(expanded));
      break;
    case 'STOPSIGNAL':
      stage.stopSignal = expanded;
      break;
    case 'CMD':
      stage.cmd = parseCommand(text);
      break;
    case 'ENTRYPOINT':
      stage.entrypoint = parseCommand(text);
      break;
    case 'HEALTHCHECK':
      stage.healthcheck = parseHealthcheck(text);
      break;
    default:
      throw new Error(`${keyword} is not supported by test/container/replay-dockerfile.ts; teach it there`);
  }
}

function parseHealthcheck(text: string): ImageStage['healthcheck'] {
  const { flags, rest } = takeFlags(text);
  if (rest === 'NONE') return undefined;
  if (!rest.startsWith('CMD ')) throw new Error('expected HEALTHCHECK [OPTIONS] CMD …');
  return { options: flags, command: parseCommand(rest.slice(4).trim()) };
}

async function newStage(replay: Replay, text: string): Promise<ImageStage> {
  const words = splitWords(takeFlags(text).rest);
  const [base, as, name] = words;
  if (base === undefined || (as !== undefined && (as.toUpperCase() !== 'AS' || name === undefined))) throw new Error('expected FROM IMAGE [AS NAME]');
  const root = await mkdtemp(join(replay.workRoot, `stage-${replay.stages.length}-`));
  const parent = replay.stages.find((stage) => stage.name === base);
  if (parent === undefined) {
    return { name, base, root, workdir: '/', env: {}, user: undefined, expose: [], entrypoint: undefined, cmd: undefined, healthcheck: undefined, stopSignal: undefined, labels: {} };
  }
  await cp(parent.root, root, { recursive: true, verbatimSymlinks: true });
  return structuredClone({ ...parent, name, base, root });
}

async function copy(replay: Replay, stage: ImageStage, text: string): Promise<void> {
  const { flags, rest } = takeFlags(text);
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : splitWords(rest);
  const destination = words.pop();
  if (destination === undefined || words.length === 0) throw new Error('expected COPY SOURCE… DESTINATION');
  const from = flags.from === undefined ? undefined : replay.stages.find((other, index) => other.name === flags.from || String(index) === flags.from);
  if (flags.from !== undefined && from === undefined) throw new Error(`no earlier stage named "${flags.from}"`);
  const intoFolder = destination.endsWith('/') || words.length > 1;
  for (const source of words) {
    if (/[*?[]/.test(source)) throw new Error(`wildcards in COPY sources are not supported by this replay: ${source}`);
    const sourcePath = from === undefined ? contextPath(replay, source) : hostPath(from, source);
    const target = hostPath(stage, destination);
    const filter = from === undefined ? (path: string) => !replay.isIgnored(relative(replay.context, path)) : undefined;
    if ((await stat(sourcePath)).isDirectory()) {
      await cp(sourcePath, target, { recursive: true, verbatimSymlinks: true, filter });
    } else {
      const file = intoFolder ? join(target, basename(sourcePath)) : target;
      await mkdir(dirname(file), { recursive: true });
      await cp(sourcePath, file);
    }
  }
}

function contextPath(replay: Replay, source: string): string {
  const path = posix.normalize(source).replace(/^\/+/, '');
  if (path.startsWith('..')) throw new Error(`${source} lies outside the build context`);
  if (path !== '.' && replay.isIgnored(path)) throw new Error(`${source} is excluded by .dockerignore, so Docker cannot COPY it`);
  return join(replay.context, path);
}

async function run(replay: Replay, stage: ImageStage, text: string): Promise<void> {
  const { flags, rest } = takeFlags(text);
  // A cache mount only makes Docker faster; any other mount changes what the step sees, which this replay lacks.
  if (flags.mount !== undefined && !flags.mount.split(',').includes('type=cache')) throw new Error(`RUN --mount=${flags.mount} is not supported`);
  const command = parseCommand(rest);
  const argv = command.form === 'exec' ? command.argv : ['sh', '-c', command.script];
  // RUN runs on this machine, where /anything is not the image's: refuse rather than touch the host's files.
  const absolute = argv.slice(command.form === 'exec' ? 1 : 2).join(' ').match(/(?:^|[\s=:'"])(\/[\w.-][^\s'"]*)/);
  if (absolute !== null && absolute[1] !== '/dev/null') throw new Error(`RUN uses the absolute path ${absolute[1]}; keep RUN steps relative to WORKDIR`);
  const [program, ...args] = argv as [string, ...string[]];
  const { code, output } = await spawnAndCollect(program, args, hostPath(stage, '.'), { ...replay.baseEnv, ...stage.env });
  if (code !== 0) throw new Error(`"${argv.join(' ')}" exited with ${code}:\n${output.slice(-4000)}`);
}

function spawnAndCollect(program: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? signal ?? -1, output }));
  });
}
