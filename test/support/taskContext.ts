import type { TaskContext } from '../../lib/types/contract';

/** One line a handler logged through its TaskContext. */
export interface TaskLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra?: Record<string, unknown>;
}

/** A TaskContext for calling a handler directly, with its log lines collected in `lines`. */
export function taskContext(overrides: Partial<TaskContext> = {}): TaskContext & { lines: TaskLogLine[] } {
  const lines: TaskLogLine[] = [];
  const at =
    (level: TaskLogLine['level']) =>
    (message: string, extra?: Record<string, unknown>): void => {
      lines.push({ level, message, extra });
    };
  return {
    taskId: 'order-42',
    type: 'webhook',
    attempt: 1,
    maxAttempts: 5,
    correlationId: 'corr-1',
    log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    signal: new AbortController().signal,
    remainingMs: () => 10_000,
    ...overrides,
    lines,
  };
}
