/**
 * Just enough of the Dockerfile grammar for the instructions this project uses: comments, `\` continuations,
 * `--flag=value` options, exec form (a JSON array) versus shell form, quoted words and `$VAR` / `${VAR}`.
 */

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuations joined. */
  text: string;
  /** 1-based line of the keyword, for error messages. */
  line: number;
}

/** Exec form runs the program itself; shell form runs `sh -c TEXT`, which makes sh the process that gets signals. */
export type Command = { form: 'exec'; argv: string[] } | { form: 'shell'; script: string };

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    // Comment and empty lines are dropped even in the middle of a continuation, as Docker does.
    if (line.startsWith('#') || line === '') return;
    const continues = line.endsWith('\\');
    const part = continues ? line.slice(0, -1) : line;
    pending = pending === undefined ? { parts: [part], line: index + 1 } : { ...pending, parts: [...pending.parts, part] };
    if (continues) return;
    const joined = pending.parts.join(' ');
    const match = /^(\S+)\s*(.*)$/s.exec(joined);
    if (match !== null) instructions.push({ keyword: match[1]!.toUpperCase(), text: match[2]!.trim(), line: pending.line });
    pending = undefined;
  });
  if (pending !== undefined) throw new Error(`Dockerfile line ${pending.line}: continuation runs past the end of the file`);
  return instructions;
}

/** Splits `--name=value` options off the front: `COPY --from=build /app/dist ./dist`. */
export function takeFlags(text: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = text;
  for (;;) {
    const match = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest);
    if (match === null) return { flags, rest };
    flags[match[1]!] = match[2] ?? 'true';
    rest = rest.slice(match[0].length);
  }
}

export function parseCommand(text: string): Command {
  if (text.startsWith('[')) {
    const argv: unknown = JSON.parse(text);
    if (Array.isArray(argv) && argv.every((word) => typeof word === 'string')) return { form: 'exec', argv };
  }
  return { form: 'shell', script: text };
}

/** Words of a shell-like argument list: whitespace separates, quotes group, a backslash escapes one character. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && index + 1 < text.length) word = (word ?? '') + text[++index];
      else word = (word ?? '') + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (char === '\\' && index + 1 < text.length) {
      word = (word ?? '') + text[++index];
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} in: ${text}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** `ENV A=1 B="two words"`, or the older `ENV A one value`. */
export function parseKeyValues(text: string): [string, string][] {
  const words = splitWords(text);
  if (words.length > 0 && !words[0]!.includes('=')) return [[words[0]!, words.slice(1).join(' ')]];
  return words.map((word) => {
    const at = word.indexOf('=');
    if (at <= 0) throw new Error(`expected KEY=value, got "${word}"`);
    return [word.slice(0, at), word.slice(at + 1)];
  });
}

/** Docker's build-time substitution in ENV, WORKDIR, COPY, USER, EXPOSE and friends (not in RUN or CMD). */
export function substitute(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))/g, (_whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const value = env[(braced ?? bare)!];
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}
