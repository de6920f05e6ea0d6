/*
 * How a Teams client reads a TextBlock's Markdown, as far as the tests need it: what it shows of escaped text, and
 * which markup it would act on.
 */

/** What CommonMark shows of text without markup: each backslash escape as its character, our zero-width spaces gone. */
export function shownText(markdown: string): string {
  return markdown
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/\u200b/g, '')
    .replace(/\u00a0/g, ' ');
}

/**
 * The markup a Teams client would act on in `markdown`: unescaped emphasis, code, strikethrough, link and HTML
 * characters, an entity, a block marker at the start of a line, and a `{{DATE(…)}}` or `{{TIME(…)}}` function.
 * Empty for text that shows exactly as written.
 */
export function activeMarkup(markdown: string): string[] {
  const found: string[] = [];
  let unescaped = '';
  for (let index = 0; index < markdown.length; index += 1) {
    const char = markdown.charAt(index);
    if (char === '\\' && /[!-/:-@[-`{-~]/.test(markdown.charAt(index + 1))) {
      unescaped += ' ';
      index += 1;
      continue;
    }
    if ('*_`~[]<>'.includes(char)) found.push(char);
    unescaped += char;
  }
  if (/&#?[A-Za-z0-9]+;/.test(unescaped)) found.push('entity');
  for (const line of unescaped.split('\n')) {
    if (/^[ \t]*([#>+\-=]|\d+[.)](\s|$))/.test(line)) found.push(`block marker: ${line.slice(0, 12)}`);
    if (/^( {4}|\t)/.test(line)) found.push('indented code');
  }
  if (/\{\{(DATE|TIME)\(/.test(markdown)) found.push('date function');
  return found;
}
