/** Descriptive statistics of lists of numbers (nearest-rank quantiles). */

/** The q-quantile (0..1) of `values` by the nearest-rank method; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** Count, min, median, p95 and max of `values`; undefined when empty. */
export function summary(values: readonly number[]): { n: number; min: number; median: number; p95: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  return { n: values.length, min: Math.min(...values), median: median(values), p95: quantile(values, 0.95), max: Math.max(...values) };
}
