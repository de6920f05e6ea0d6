/**
 * The keys that appear more than once in one object of a JSON text, in order. JSON.parse keeps only the last of
 * them, so a duplicated key is invisible once parsed: this reads the raw text. Assumes well-formed JSON.
 */
export function repeatedKeys(text: string): string[] {
  const repeated: string[] = [];
  // One entry per open container: the keys seen so far in an object, undefined for an array.
  const open: Array<Set<string> | undefined> = [];
  let expectingKey = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open.at(-1);
      if (expectingKey && keys !== undefined) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (keys.has(key)) repeated.push(key);
        keys.add(key);
        expectingKey = false;
      }
      index = end;
    } else if (char === '{') {
      open.push(new Set());
      expectingKey = true;
    } else if (char === '[') {
      open.push(undefined);
      expectingKey = false;
    } else if (char === '}' || char === ']') {
      open.pop();
      expectingKey = false;
    } else if (char === ',') {
      expectingKey = open.at(-1) !== undefined;
    }
  }
  return repeated;
}
