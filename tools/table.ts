/** Plain-text tables: aligned columns two spaces apart, no colours. */

export type Cell = string | number;

export interface TableOptions {
  /** Alignment of each column; a column not listed is left-aligned. */
  align?: readonly ('left' | 'right')[];
  /** The least width of each column. */
  minWidths?: readonly number[];
  /** A line of dashes under the header. */
  rule?: boolean;
}

/** Renders a header and rows as aligned columns; lines carry no trailing spaces, the text no final newline. */
export function table(headers: readonly Cell[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const text = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((_, i) => Math.max(options.minWidths?.[i] ?? 0, ...text.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (options.align?.[i] === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = options.rule ? [widths.map((width) => '-'.repeat(width)).join('  ')] : [];
  return [line(text[0]), ...rule, ...text.slice(1).map(line)].join('\n');
}
