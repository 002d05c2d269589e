/**
 * A task's audit history laid out on a time axis: each attempt a segment from its claim to
 * its outcome, each wait (in the queue, or the backoff before a retry, with its delay) a gap,
 * and the marks a reader looks for: submitted, redriven, dead-lettered (the DLQ), FAILED,
 * SUCCEEDED. Pure: the view draws what this returns.
 */
export interface HistoryEvent {
  type: string;
  at: string;
  attempt: number;
  error?: { name: string; message: string };
  delaySeconds?: number;
}

export type AttemptOutcome = 'running' | 'succeeded' | 'retry' | 'dead-lettered' | 'failed' | 'taken-over' | 'ended';

export interface AttemptSegment {
  attempt: number;
  from: number;
  to: number;
  outcome: AttemptOutcome;
  /** The error of a failed attempt. */
  error?: { name: string; message: string };
}

export interface WaitGap {
  /** `backoff`: after a failed attempt, before the retry; `queued`: before the first attempt. */
  kind: 'backoff' | 'queued';
  from: number;
  to: number;
  /** The backoff's DelaySeconds. */
  delaySeconds?: number;
  /** Still waiting (the gap ends now). */
  open: boolean;
}

export interface Mark {
  type: 'QUEUED' | 'REDRIVEN' | 'DEAD_LETTERED' | 'FAILED' | 'SUCCEEDED' | string;
  at: number;
  error?: { name: string; message: string };
}

export interface Timeline {
  start: number;
  end: number;
  attempts: AttemptSegment[];
  waits: WaitGap[];
  marks: Mark[];
  /** The task is not finished: the axis ends at `now`. */
  live: boolean;
}

const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Lays out `history` (in the order it was written); `now` ends what is still open. */
export function buildTimeline(history: readonly HistoryEvent[], status: string, now: number): Timeline {
  const attempts: AttemptSegment[] = [];
  const waits: WaitGap[] = [];
  const marks: Mark[] = [];
  let attempt: AttemptSegment | undefined;
  let wait: WaitGap | undefined;
  const closeAttempt = (at: number, outcome: AttemptOutcome, error?: HistoryEvent['error']) => {
    if (!attempt) return;
    attempt.to = at;
    attempt.outcome = outcome;
    if (error) attempt.error = error;
    attempt = undefined;
  };
  const closeWait = (at: number) => {
    if (!wait) return;
    wait.to = at;
    wait.open = false;
    wait = undefined;
  };
  const times = history.map((event) => Date.parse(event.at)).filter((t) => !Number.isNaN(t));
  for (const event of history) {
    const at = Date.parse(event.at);
    if (Number.isNaN(at)) continue;
    switch (event.type) {
      case 'QUEUED':
      case 'REDRIVEN':
        closeAttempt(at, 'ended');
        closeWait(at);
        marks.push({ type: event.type, at });
        wait = { kind: 'queued', from: at, to: at, open: true };
        waits.push(wait);
        break;
      case 'PROCESSING':
        // A second claim of the same attempt: the lease expired and a redelivery took over.
        closeAttempt(at, 'taken-over');
        closeWait(at);
        attempt = { attempt: event.attempt, from: at, to: at, outcome: 'running' };
        attempts.push(attempt);
        break;
      case 'RETRY_SCHEDULED':
        closeAttempt(at, 'retry', event.error);
        closeWait(at);
        wait = {
          kind: 'backoff',
          from: at,
          to: at,
          open: true,
          ...(event.delaySeconds !== undefined ? { delaySeconds: event.delaySeconds } : {}),
        };
        waits.push(wait);
        break;
      case 'SUCCEEDED':
        closeAttempt(at, 'succeeded');
        closeWait(at);
        marks.push({ type: event.type, at });
        break;
      case 'DEAD_LETTERED':
        closeAttempt(at, 'dead-lettered', event.error);
        closeWait(at);
        marks.push({ type: event.type, at, ...(event.error ? { error: event.error } : {}) });
        break;
      case 'FAILED':
        // From PROCESSING only through SQS's RedrivePolicy (the safety net): that attempt failed too.
        closeAttempt(at, 'failed', event.error);
        closeWait(at);
        marks.push({ type: event.type, at, ...(event.error ? { error: event.error } : {}) });
        break;
      default:
        closeAttempt(at, 'ended');
        closeWait(at);
        marks.push({ type: event.type, at, ...(event.error ? { error: event.error } : {}) });
    }
  }
  const live = !FINISHED.includes(status);
  const start = times.length > 0 ? Math.min(...times) : now;
  const last = times.length > 0 ? Math.max(...times) : now;
  const end = live ? Math.max(last, now) : last;
  if (attempt) attempt.to = end;
  if (wait) {
    if (live) wait.to = end;
    else {
      wait.to = wait.from;
      wait.open = false;
    }
  }
  return { start, end: end > start ? end : start + 1000, attempts, waits, marks, live };
}

const TICK_STEPS_MS = [
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];

/** Offsets from `start` for axis ticks: a round step giving at most `maxTicks` ticks over the span. */
export function ticks(start: number, end: number, maxTicks = 8): number[] {
  const span = Math.max(1, end - start);
  const step = TICK_STEPS_MS.find((candidate) => Math.floor(span / candidate) + 1 <= maxTicks) ?? Math.ceil(span / (maxTicks - 1));
  const offsets: number[] = [];
  for (let offset = 0; offset <= span; offset += step) offsets.push(offset);
  return offsets;
}

/**
 * Rows for labels on one band so they do not overlap: each label takes the first row whose
 * last label ends before it starts; a label that fits no row gets -1 (shown only in the list).
 */
export function labelRows(labels: readonly { x: number; width: number }[], rows: number, gap = 6): number[] {
  const ends: number[] = new Array(rows).fill(Number.NEGATIVE_INFINITY);
  return labels.map(({ x, width }) => {
    const row = ends.findIndex((end) => end + gap <= x);
    if (row >= 0) ends[row] = x + width;
    return row;
  });
}
