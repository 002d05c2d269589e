/** Waiting: a promise of a pause, and polling until a condition holds. */

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  /** Gives up once this much time has passed since the first check. */
  timeoutMs: number;
  /** Pause between two checks; default 100 ms. */
  intervalMs?: number;
  /** Gives up at once when this promise resolves (e.g. the process being waited for exited). */
  abort?: Promise<unknown>;
  /** What to throw on giving up: a message (thrown as an Error) or an error of the caller's type. */
  failure: () => string | Error;
}

/**
 * Calls `check` until it returns a truthy value, which it resolves with. Rejects with
 * `failure()` once `timeoutMs` has passed or `abort` has resolved; an error `check` throws
 * propagates (a probe that throws until it answers goes in `answers(probe)`).
 */
export async function pollUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: PollOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let aborted = false;
  void options.abort?.then(() => {
    aborted = true;
  });
  const giveUp = () => {
    const failure = options.failure();
    return typeof failure === 'string' ? new Error(failure) : failure;
  };
  for (;;) {
    if (aborted) throw giveUp();
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw giveUp();
    await sleep(options.intervalMs ?? 100);
  }
}

/** A check for pollUntil that holds once `probe` resolves, e.g. once a server answers (its errors until then are expected). */
export const answers =
  (probe: () => Promise<unknown>): (() => Promise<boolean>) =>
  () =>
    probe().then(
      () => true,
      () => false,
    );
