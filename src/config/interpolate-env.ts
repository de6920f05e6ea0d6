/**
 * `${VAR}` and `${VAR:-fallback}` in config values, so secrets stay out of the file.
 * Works on one string at a time (a parsed YAML scalar), never on the raw file: a value holding
 * `:` or `#` then cannot change the YAML structure, and YAML line numbers stay true.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * `deferred`: with `unsetVariables: 'keep'`, the problems an unset variable would have been, for a reader that
 * finds it needs the value after all. Absent when every reference resolved.
 */
export type Interpolation = { ok: true; value: string; deferred?: string[] } | { ok: false; problems: string[] };

export interface InterpolationOptions {
  /**
   * `refuse` (the default): a `${VAR}` without fallback whose variable is unset or empty is a problem. `keep`: it
   * stays in the value as written and its problem is deferred, for commands that only read Redis and never use
   * the secrets (`status`, `alerts`). Malformed references are problems either way.
   */
  unsetVariables?: 'refuse' | 'keep';
}

type Resolution = { ok: true; value: string } | { ok: false; problem: string; unset: boolean };

/** `NAME` or `NAME:-fallback`; the fallback is literal text and may be empty. */
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/*
 * Messages name the variable but never its value, nor the text around the reference:
 * the variable may hold a token, and the surrounding text may be part of one.
 */
const SYNTAX_HELP = 'write ${NAME} or ${NAME:-fallback}, or $${ for a literal ${';

/**
 * Replaces every reference in `template` from `env`. Like bash's `${VAR:-fallback}`, the fallback
 * is used when the variable is unset or empty; a `${VAR}` without fallback must be set and non-empty,
 * because an empty token or URL is never what the operator meant.
 */
export function interpolateEnv(template: string, env: Environment, options: InterpolationOptions = {}): Interpolation {
  const keep = options.unsetVariables === 'keep';
  let value = '';
  const problems: string[] = [];
  const deferred: string[] = [];
  let index = 0;
  while (index < template.length) {
    const dollar = template.indexOf('$', index);
    if (dollar === -1) {
      value += template.slice(index);
      break;
    }
    value += template.slice(index, dollar);
    if (template.startsWith('$${', dollar)) {
      value += '${';
      index = dollar + 3;
      continue;
    }
    if (!template.startsWith('${', dollar)) {
      value += '$';
      index = dollar + 1;
      continue;
    }
    const close = template.indexOf('}', dollar + 2);
    if (close === -1) {
      problems.push(`"\${" is never closed by "}" (${SYNTAX_HELP})`);
      break;
    }
    const resolution = resolveReference(template.slice(dollar + 2, close), env);
    if (resolution.ok) {
      value += resolution.value;
    } else if (keep && resolution.unset) {
      value += template.slice(dollar, close + 1);
      deferred.push(resolution.problem);
    } else {
      problems.push(resolution.problem);
    }
    index = close + 1;
  }
  if (problems.length > 0) return { ok: false, problems };
  return deferred.length === 0 ? { ok: true, value } : { ok: true, value, deferred };
}

/** True when interpolation would touch `text`, so callers can skip the common case cheaply. */
export function mentionsEnv(text: string): boolean {
  return text.includes('${');
}

function resolveReference(reference: string, env: Environment): Resolution {
  const match = REFERENCE.exec(reference);
  if (match === null) return { ok: false, problem: `malformed reference in "\${...}" (${SYNTAX_HELP})`, unset: false };
  const [, name = '', fallback] = match;
  const value = env[name];
  if (value !== undefined && value !== '') return { ok: true, value };
  if (fallback !== undefined) return { ok: true, value: fallback };
  const state = value === undefined ? 'is not set (export it' : 'is empty (set it';
  return { ok: false, problem: `environment variable ${name} ${state}, or write \${${name}:-fallback})`, unset: true };
}
