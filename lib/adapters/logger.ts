import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogAttributes } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';

/** What the use cases log through: Powertools' level methods. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** The logger the wiring injects: the level methods, and what the Lambda wrappers add per invocation and per record. */
export interface RootLog extends Log {
  /** Puts the Lambda context's keys (function name, request id, cold start) on every later line. */
  addContext(context: Context): void;
  /** A logger whose every line also carries `persistentKeys` (and the parent's keys and context). */
  createChild(options: { persistentKeys: LogAttributes }): Log;
}

/** Log levels the configuration accepts (Powertools' names). */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
/** One of LOG_LEVELS. */
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** What a logger is built from; lib/config.ts reads it, this module never reads the environment. */
export interface LogSettings {
  serviceName: string;
  logLevel: LogLevelName;
}

/** The production logger: Powertools' structured JSON lines on stdout, which CloudWatch Logs collects. */
export function createLog(settings: LogSettings): Logger {
  return new Logger({ serviceName: settings.serviceName, logLevel: settings.logLevel });
}

/** One line as Powertools prints it, parsed: `level`, `message`, `service`, `timestamp` and every key given or appended. */
export type LogEntry = Record<string, unknown> & { level: string; message: string };

/** Receives each line a RecordingLogger would have printed: parsed, and as the JSON text (without the newline). */
export type LogRecorder = (entry: LogEntry, line: string) => void;

/**
 * Powertools' logger handing its lines to `record` instead of printing them (tests, the bench):
 * each is the JSON line Powertools would have written, so it carries the same keys (those of
 * createChild and addContext included) and the same serialisation of errors. Children record
 * to the same function.
 */
export class RecordingLogger extends Logger implements RootLog {
  declare private readonly record: LogRecorder;
  /** Lines Powertools printed from its own constructor (its warnings), before `record` was set. */
  declare private early?: [LogEntry, string][];

  constructor(record: LogRecorder, options: ConstructorOptions = {}) {
    super(options);
    this.record = record;
    for (const [entry, line] of this.early ?? []) record(entry, line);
    this.early = undefined;
  }

  // Powertools builds children through this factory.
  protected override createLogger(options?: ConstructorOptions): RecordingLogger {
    return new RecordingLogger(this.record, options);
  }

  // Powertools' printLog, with the line recorded instead of written to the console.
  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const line = JSON.stringify(log.getAttributes(), this.getJsonReplacer());
    const entry = JSON.parse(line) as LogEntry;
    if (this.record) this.record(entry, line);
    else (this.early ??= []).push([entry, line]);
  }
}

/** A RecordingLogger that keeps the lines of itself and its children in `entries`, oldest first. */
export class MemoryLogger extends RecordingLogger {
  readonly entries: LogEntry[];

  constructor(options: ConstructorOptions = {}) {
    const entries: LogEntry[] = [];
    super((entry) => entries.push(entry), options);
    this.entries = entries;
  }

  /** The entries with this message. */
  withMessage(message: string): LogEntry[] {
    return this.entries.filter((entry) => entry.message === message);
  }
}
