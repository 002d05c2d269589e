/** The parts of GET /tasks/{taskId} the demo reads. */
export interface TaskSnapshot {
  taskId: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  history: { type: string; at: string; attempt: number; delaySeconds?: number }[];
}

export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** One row of the outcome table: observed count against the share the failure rate predicts. */
export interface OutcomeRow {
  label: string;
  formula: string;
  count: number;
  expectedShare: number;
}

const SUPERSCRIPTS: Record<string, string> = { '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
const power = (k: number) => (k === 0 ? '' : k === 1 ? 'p' : `p${String(k).replace(/\d/g, (d) => SUPERSCRIPTS[d] ?? `^${d}`)}`);

/**
 * Outcomes of finished tasks when every attempt fails independently with probability p:
 * success on attempt k has probability p^(k-1)(1-p); failure after maxAttempts, p^maxAttempts.
 */
export function outcomeRows(tasks: TaskSnapshot[], p: number, maxAttempts: number): OutcomeRow[] {
  const rows: OutcomeRow[] = [];
  for (let k = 1; k <= maxAttempts; k++) {
    rows.push({
      label: `succeeded on attempt ${k}`,
      formula: k === 1 ? '1-p' : `${power(k - 1)}(1-p)`,
      count: tasks.filter((task) => task.status === 'SUCCEEDED' && task.attempts === k).length,
      expectedShare: p ** (k - 1) * (1 - p),
    });
  }
  rows.push({
    label: 'failed -> DLQ',
    formula: power(maxAttempts),
    count: tasks.filter((task) => task.status === 'FAILED').length,
    expectedShare: p ** maxAttempts,
  });
  return rows;
}

/** Two standard deviations of a binomial count: where ~95% of runs land. */
export function twoSigmaRange(n: number, share: number): [number, number] {
  const sigma = Math.sqrt(n * share * (1 - share));
  return [Math.max(0, Math.floor(n * share - 2 * sigma)), Math.ceil(n * share + 2 * sigma)];
}

/** Delay between a RETRY_SCHEDULED event and the PROCESSING event of the next attempt. */
export interface ObservedDelay {
  taskId: string;
  /** 1 for the first retry (after attempt 1 failed), 2 for the second, ... */
  retry: number;
  scheduledSeconds?: number;
  observedSeconds: number;
}

/** Every retry delay visible in the tasks' histories. */
export function observedDelays(tasks: TaskSnapshot[]): ObservedDelay[] {
  return tasks.flatMap((task) =>
    task.history.flatMap((event, i) => {
      if (event.type !== 'RETRY_SCHEDULED') return [];
      const next = task.history.slice(i + 1).find((later) => later.type === 'PROCESSING');
      if (!next) return [];
      return [
        {
          taskId: task.taskId,
          retry: event.attempt,
          ...(event.delaySeconds !== undefined ? { scheduledSeconds: event.delaySeconds } : {}),
          observedSeconds: (Date.parse(next.at) - Date.parse(event.at)) / 1000,
        },
      ];
    }),
  );
}
