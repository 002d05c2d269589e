/** Plain-text tables and number formats for the bench's printout. */

export type Cell = string | number;

/** Left-aligns the first column, right-aligns the others. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((_, i) => Math.max(...text.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(text[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...text.slice(1).map(line)].join('\n');
}

export const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const usd = (value: number) => (Number.isFinite(value) ? `$${value.toFixed(value >= 100 ? 0 : value >= 1 ? 2 : 3)}` : 'n/a');
export const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value >= 100 ? 0 : 1)} ms` : 'n/a');
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(bytes >= 10 * 1024 ? 0 : 1)} KiB`;

export function heading(title: string): string {
  return `\n== ${title} ${'='.repeat(Math.max(0, 76 - title.length))}`;
}

/** PASS/MISS line of a target. */
export function verdict(pass: boolean, what: string, detail: string): string {
  return `${pass ? 'PASS' : 'MISS'}  ${what}: ${detail}`;
}
