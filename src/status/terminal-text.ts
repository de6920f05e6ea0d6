/**
 * Text for a terminal table. Names and messages come from Portable, the config and stored errors: control and bidi
 * characters must not reach the terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]+/gu, ' ');
}

/** Counts code points, so an emoji is not cut in half; East Asian wide characters still misalign (rare in names). */
export function length(text: string): number {
  return Array.from(text).length;
}

export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

export function pad(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + ' '.repeat(Math.max(0, width - length(cut)));
}

/**
 * A header and rows as aligned lines, columns two spaces apart; the last column is never padded (it holds the long
 * text a person reads to the end: an error, a reason).
 */
export function alignColumns(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, index) => Math.max(length(title), ...rows.map((row) => length(row[index] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : pad(cell, widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
