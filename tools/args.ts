/** Command lines of every entry point (the tasks CLI, npm run demo, npm run bench): node:util parseArgs, strict. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: its message is printed (with a pointer to the usage), never a stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The subcommand whose usage applies, if any. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** parseArgs in strict mode; what it refuses becomes a UsageError, without node's hint about positionals. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** An integer option within bounds (`fallback` when absent), or a UsageError naming the option. */
export function intOption(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be an integer${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`}, got '${raw}'`,
    );
  }
  return value;
}
