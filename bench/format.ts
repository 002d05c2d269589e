/** Plain-text tables and number formats for the bench's printout. */
import { table as textTable, type Cell } from '../tools/table';

export type { Cell } from '../tools/table';

/** The bench's tables: labels left, figures right-aligned, a rule under the header. */
export function table(headers: string[], rows: Cell[][]): string {
  return textTable(headers, rows, { align: headers.map((_, i) => (i === 0 ? 'left' : 'right')), rule: true });
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
