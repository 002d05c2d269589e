import fs from 'node:fs';

/**
 * Ids of the live processes whose environment contains `NAME=value`: a variable given to a
 * child process is inherited by everything it starts, so this finds every descendant, even
 * one that left the process group or lost its parent. Linux only (/proc); [] elsewhere.
 */
export function processesWithEnv(name: string, value: string): number[] {
  if (!fs.existsSync('/proc/self/environ')) return [];
  const needle = `${name}=${value}`;
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        // A zombie has exited already; only its parent's wait() is missing.
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state !== 'Z' && environ.split('\0').includes(needle);
      } catch {
        return false; // exited meanwhile, or not ours to read
      }
    })
    .map(Number);
}

/** Resolves once `check` returns a truthy value; rejects with `describe()` after timeoutMs. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(options.describe());
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
