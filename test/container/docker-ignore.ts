import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/**
 * `.dockerignore` as Docker reads it: one pattern a line, `#` comments, `*`, `?` and `**`, `!` re-includes; the
 * last pattern that matches a path or any folder above it decides.
 */
export type IsIgnored = (relativePath: string) => boolean;

interface Rule {
  pattern: RegExp;
  include: boolean;
}

export async function readDockerIgnore(context: string): Promise<IsIgnored> {
  const text = await readFile(join(context, '.dockerignore'), 'utf8').catch(() => '');
  const rules: Rule[] = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = posix.normalize((include ? line.slice(1) : line).replace(/^\/+/, ''));
      return { pattern: globToRegExp(pattern), include };
    });
  return (relativePath) => {
    const parts = posix.normalize(relativePath).split('/');
    let ignored = false;
    for (const rule of rules) {
      const matches = parts.some((_part, index) => rule.pattern.test(parts.slice(0, index + 1).join('/')));
      if (matches) ignored = !rule.include;
    }
    return ignored;
  };
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!;
    if (glob.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (glob.startsWith('**', index)) {
      source += '.*';
      index += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
