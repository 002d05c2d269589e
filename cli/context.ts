/** What every command gets: the API client, the output streams, the clock, and the parsed arguments. */
import type { TasksClient } from './client';
import { UsageError } from '../tools/args';

/** Bad arguments (exit 2, with a pointer to --help) and bounded integer options: the command-line helpers every entry point shares. */
export { UsageError, intOption } from '../tools/args';

/** Everything a command touches outside the API; tests pass fakes. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal: progress is redrawn in place there, and only its last line is written elsewhere. */
  stderrIsTTY?: boolean;
  env: Record<string, string | undefined>;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Reads a file as UTF-8; '-' reads standard input. */
  readFile(path: string): Promise<string>;
  /** The fetch the API client uses; defaults to the global one. */
  fetch?: typeof fetch;
}

/** Option values after parsing (every command's options; each command reads its own). */
export interface Values {
  url?: string;
  'api-key'?: string;
  json?: boolean;
  help?: boolean;
  payload?: string;
  'payload-file'?: string;
  type?: string;
  delay?: string;
  status?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
  rate?: string;
  'dry-run'?: boolean;
  interval?: string;
  timeout?: string;
  file?: string;
  'batch-size'?: string;
}

export interface Context {
  io: Io;
  client: TasksClient;
  json: boolean;
  /** Positional arguments after the command name. */
  args: string[];
  values: Values;
}

/** Exit codes; `tasks --help` documents them. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  AUTH: 4,
  UNREACHABLE: 5,
  /** watch: no terminal status before --timeout (shares 2 with usage errors, as specified). */
  WATCH_TIMEOUT: 2,
} as const;

/** Writes a value as pretty JSON on stdout. */
export function printJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Exactly one taskId positional. */
export function oneTaskId(ctx: Context, command: string): string {
  if (ctx.args.length === 0) throw new UsageError(`${command}: missing <taskId>`, command);
  if (ctx.args.length > 1)
    throw new UsageError(`${command}: expected one <taskId>, got ${ctx.args.length} arguments: ${ctx.args.join(' ')}`, command);
  return ctx.args[0];
}
