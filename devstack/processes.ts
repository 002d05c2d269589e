import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** A failure the user can act on; its message is the one line printed for it. */
export class LocalStackError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A child process that leads its own process group, so stopping it also stops what it spawned. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Last lines the process wrote, for error messages. */
  recentOutput(): string[];
  /** What the process wrote to stdout and stderr, interleaved (the last 100,000 characters at least). */
  output(): string;
  /** Sends `signal` to the whole group (SIGINT: what Ctrl-C in a terminal does). */
  signal(signal: NodeJS.Signals): void;
  /**
   * The stop signal (SIGTERM unless the process was started with another) to the whole group,
   * SIGKILL after graceMs; resolves when the process has exited and nothing of its group, nor
   * anything carrying its marker, is left.
   */
  stop(graceMs?: number): Promise<void>;
}

/** How a managed process is watched and stopped. */
interface ManageOptions {
  /** How many of the last lines recentOutput() keeps; default 40. */
  keepLines?: number;
  /** The signal stop() sends first; default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /**
   * A variable `name=value` in the process's environment (set by spawnManaged), inherited by
   * everything it starts: stop() kills whatever carries it, even a process that left the group.
   */
  marker?: { name: string; value: string };
}

const running = new Set<ManagedProcess>();
const cleanups: (() => Promise<void>)[] = [];
let handlersInstalled = false;
let shuttingDown = false;

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Last resort when the process exits without running its cleanups: no orphan group survives us.
  process.on('exit', () => {
    for (const proc of running) signalGroup(proc.child.pid, 'SIGKILL');
  });
  const signals: [NodeJS.Signals, number][] = [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ];
  for (const [signal, number] of signals) {
    process.on(signal, () => {
      if (shuttingDown) {
        // A second Ctrl-C: stop waiting for graceful shutdown.
        process.exit(128 + number);
      }
      shuttingDown = true;
      void runCleanups().finally(() => process.exit(128 + number));
    });
  }
}

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${(error as Error).message}`));
  }
  await Promise.all([...running].map((proc) => proc.stop()));
}

/**
 * Registers a cleanup that runs (latest first) on SIGINT, SIGTERM or SIGHUP before the
 * process exits; returns a function that unregisters it.
 */
export function onShutdown(cleanup: () => Promise<void>): () => void {
  installHandlers();
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.indexOf(cleanup);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

/** Text kept of a process's output: trimmed to the last half once it reaches this length. */
const MAX_OUTPUT_CHARS = 200_000;

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Exited meanwhile.
  }
}

/** Wraps a child started with `detached: true` (its own process group) into a ManagedProcess. */
export function manage(name: string, child: ChildProcess, options: ManageOptions = {}): ManagedProcess {
  installHandlers();
  let text = '';
  const keep = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    if (text.length > MAX_OUTPUT_CHARS) text = text.slice(-MAX_OUTPUT_CHARS / 2);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  });
  const killLeftovers = () => {
    // The leader may exit before the rest of its group, and a grandchild may have left the group.
    signalGroup(child.pid, 'SIGKILL');
    if (options.marker) for (const pid of processesWithEnv(options.marker.name, options.marker.value)) killPid(pid);
  };
  const proc: ManagedProcess = {
    name,
    child,
    exited,
    recentOutput: () =>
      text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(-(options.keepLines ?? 40)),
    output: () => text,
    signal: (signal) => signalGroup(child.pid, signal),
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        signalGroup(child.pid, options.stopSignal ?? 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      killLeftovers();
      running.delete(proc);
    },
  };
  running.add(proc);
  void exited.then(() => {
    // The leader is gone: end whatever it left in its group, and forget the group id.
    signalGroup(child.pid, 'SIGKILL');
    running.delete(proc);
  });
  return proc;
}

/**
 * Spawns `command` as the leader of a new process group and manages it; with a marker, the
 * variable is added to its environment (options.env, else this process's).
 */
export function spawnManaged(name: string, command: string, args: string[], options: SpawnOptions & ManageOptions = {}): ManagedProcess {
  const { keepLines, stopSignal, marker, ...spawnOptions } = options;
  const env = marker ? { ...(spawnOptions.env ?? process.env), [marker.name]: marker.value } : spawnOptions.env;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions, env, detached: true });
  return manage(name, child, { keepLines, stopSignal, marker });
}

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

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Throws one clear LocalStackError line when `port` is taken (checked on all interfaces). */
export async function assertPortFree(port: number, what: string, envName: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '0.0.0.0', exclusive: true }, resolve);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new LocalStackError(
        `port ${port} (${what}) is ${code === 'EACCES' ? 'not allowed' : 'already in use'}: stop whatever holds it or choose another port with ${envName}=<port>`,
      );
    }
    throw error;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
