import type { Clock } from '../../cli/bulkRedrive';
import type { ConsoleClient } from './api';
import type { Capabilities } from './capabilities';
import type { Route } from './router';

/** What every view gets from the page. */
export interface AppContext {
  client: ConsoleClient;
  caps: Capabilities;
  clock: Clock;
  /** Handles what every view meets alike (a rejected key, an unreachable API, a URL that is not this API); true when it did. */
  handleError(error: unknown): boolean;
  /** A request got an answer: clears the "cannot reach" banner. */
  reachable(): void;
  /** Asks before an action; resolves true when confirmed. */
  confirm(options: ConfirmOptions): Promise<boolean>;
  navigate(route: Route): void;
  /** A short message at the top of the page (an action's outcome). */
  notify(message: string): void;
}

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
}

/** A mounted view: its element and how to stop its timers. */
export interface View {
  element: HTMLElement;
  stop(): void;
  /** Called once the element is on the page. */
  mounted?(): void;
}

/** How often the views refresh, in ms. */
export const REFRESH = {
  list: 5_000,
  counts: 15_000,
  liveTask: 2_000,
  finishedTask: 10_000,
};

/** Calls `tick` every `ms` while the page is visible, never twice at once; returns the stopper. */
export function every(ms: number | (() => number), tick: () => Promise<void>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(run, typeof ms === 'function' ? ms() : ms);
  };
  const run = async () => {
    if (document.visibilityState !== 'hidden') {
      try {
        await tick();
      } catch {
        // The tick reports its own errors; the next one tries again.
      }
    }
    schedule();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
