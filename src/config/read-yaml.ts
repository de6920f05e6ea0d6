import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node, Pair } from 'yaml';
import { formatPath } from './config-path.ts';
import type { ConfigPath } from './config-path.ts';
import { interpolateEnv, mentionsEnv } from './interpolate-env.ts';
import type { Environment, InterpolationOptions } from './interpolate-env.ts';

/** A problem line and the line of the file it is about, so problems can be listed in file order. */
export interface LocatedProblem {
  line: number;
  text: string;
}

/** A config file as plain data, with what went wrong on the way and where values came from. */
export interface YamlReading {
  /** Plain data with `${...}` replaced; undefined when the text is not readable YAML. */
  value: unknown;
  problems: LocatedProblem[];
  /** The line each value starts on, by formatted path. */
  lines: Map<string, number>;
  /**
   * The `${...}` text of every value taken from the environment, by formatted path. Messages show
   * this instead of the value, which may be a secret the operator did not expect to see printed.
   */
  templates: Map<string, string>;
  /** Paths whose references could not be resolved; their problem is reported, so checks skip them. */
  unresolved: Set<string>;
  /**
   * With `unsetVariables: 'keep'`: values that kept an unset `${VAR}` as written, by formatted path, with the
   * problems reported if the value turns out to be needed (see stand-ins.ts).
   */
  standIns: Map<string, StandIn>;
}

/** A value left holding an unset `${VAR}`: where it is and what to say if no stand-in fits there. */
export interface StandIn {
  path: ConfigPath;
  line: number;
  problems: string[];
}

/** Aliases can expand exponentially ("billion laughs"); a config file needs very few. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML with positions, then walks the node tree (not the plain data) so that duplicate keys
 * can be named by path and line, and references are replaced inside scalars after parsing.
 */
export function readYaml(text: string, env: Environment, options: InterpolationOptions = {}): YamlReading {
  const reading: YamlReading = {
    value: undefined,
    problems: [],
    lines: new Map(),
    templates: new Map(),
    unresolved: new Set(),
    standIns: new Map(),
  };
  const lineCounter = new LineCounter();
  // uniqueKeys is off because the walk below reports duplicates with their path, which yaml cannot.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const [error, ...later] = document.errors;
  if (error !== undefined) {
    /*
     * Only the first syntax error is worth reading: after one, the parser's recovery is a guess,
     * and an unquoted `{ a: ${X} }` alone yields nine errors on three lines.
     */
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const message = syntaxMessage(error.code, error.message, text.split('\n')[line - 1]);
    reading.problems.push({ line, text: `line ${line}, column ${col}: ${message}` });
    if (later.length > 0) {
      const count = later.length === 1 ? '1 more YAML error follows' : `${later.length} more YAML errors follow`;
      reading.problems.push({ line, text: `(${count}, often caused by the first; fix it and validate again)` });
    }
    return reading;
  }
  walk(document.contents, [], { env, options, reading, lineCounter });
  try {
    reading.value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    reading.problems.push({ line: 0, text: `cannot read the YAML: ${error instanceof Error ? error.message : String(error)}` });
  }
  return reading;
}

interface Walk {
  env: Environment;
  options: InterpolationOptions;
  reading: YamlReading;
  lineCounter: LineCounter;
}

/** The line of the value at `path`, or of its nearest ancestor when the value is missing. */
export function lineOfPath(path: ConfigPath, lines: ReadonlyMap<string, number>): number {
  for (let length = path.length; length > 0; length -= 1) {
    const line = lines.get(formatPath(path.slice(0, length)));
    if (line !== undefined) return line;
  }
  return 0;
}

function walk(node: unknown, path: ConfigPath, context: Walk): void {
  const line = lineOf(node, context.lineCounter);
  const key = formatPath(path);
  if (line > 0 && !context.reading.lines.has(key)) context.reading.lines.set(key, line);
  if (isMap(node)) {
    walkMap(node.items, path, context);
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => walk(item, [...path, index], context));
  } else if (isScalar(node) && typeof node.value === 'string' && mentionsEnv(node.value)) {
    const result = interpolateEnv(node.value, context.env, context.options);
    if (result.ok) {
      context.reading.templates.set(key, node.value);
      if (result.deferred !== undefined) context.reading.standIns.set(key, { path, line, problems: result.deferred });
      node.value = result.value;
    } else {
      context.reading.unresolved.add(key);
      context.reading.problems.push(...result.problems.map((problem) => ({ line, text: `${key}: ${problem}` })));
    }
  }
  // Aliases are skipped: they share the anchored node, which is visited where it is defined.
}

function walkMap(pairs: Pair<unknown, unknown>[], path: ConfigPath, context: Walk): void {
  const firstLine = new Map<string, number>();
  for (const pair of pairs) {
    // Keys are never interpolated: a key from the environment would make paths unpredictable.
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const keyPath = [...path, key];
    const line = lineOf(pair.key, context.lineCounter);
    const earlier = firstLine.get(key);
    if (earlier === undefined) {
      firstLine.set(key, line);
      // A key's line rather than its value's: an empty value has none, a nested mapping starts below.
      context.reading.lines.set(formatPath(keyPath), line);
    } else {
      context.reading.problems.push({ line, text: `${formatPath(keyPath)}: duplicate key (also on line ${earlier}; keep one)` });
    }
    walk(pair.value, keyPath, context);
  }
}

function lineOf(node: unknown, lineCounter: LineCounter): number {
  const range = (node as Partial<Node> | null)?.range;
  return range === undefined || range === null ? 0 : lineCounter.linePos(range[0]).line;
}

function syntaxMessage(code: string, message: string, sourceLine = ''): string {
  if (code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (remove the "---" line)';
  if (code === 'BLOCK_AS_IMPLICIT_KEY') return `${message} (put a value that contains ": " in quotes)`;
  /*
   * An unquoted `${VAR}` inside `{ }` or `[ ]` is the one syntax error our own feature invites:
   * the braces end the flow collection. Only the hint is added, never the line itself,
   * which may hold a secret.
   */
  if (sourceLine.includes('${')) return `${message} (inside { } or [ ], put references in quotes: "\${VAR}")`;
  return message;
}
