/** Child processes the bench starts: spawned in their own process group, found again by a marker variable. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { processesWithEnv } from '../test/support/processes';

/** Every process the bench starts inherits BENCH_RUN=<id>: how leftovers are found (Linux /proc). */
export const MARKER = 'BENCH_RUN';

/** Live processes whose environment holds `NAME=value` (shared with the e2e test). */
export { processesWithEnv };

export interface Child {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
  /** SIGINT to the group (Ctrl-C), SIGKILL to the group and to any marked leftover after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `command` as the leader of a new process group, marked with MARKER=runId. */
export function spawnChild(command: string, args: string[], runId: string, options: SpawnOptions = {}): Child {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
    detached: true,
    env: { ...(options.env ?? process.env), [MARKER]: runId },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  const stop = async (graceMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    }
    signalGroup('SIGKILL');
    // Whatever left the group (e.g. a re-parented grandchild) still carries our marker.
    for (const pid of processesWithEnv(MARKER, runId)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  };
  // Never outlive the bench: kill the group if the bench exits first.
  const onExit = () => signalGroup('SIGKILL');
  process.once('exit', onExit);
  void exited.then(() => process.removeListener('exit', onExit));
  return { child, output: () => output, exited, stop };
}
