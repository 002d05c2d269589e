import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
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
  /** SIGTERM to the whole group, SIGKILL after graceMs; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
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

/** Wraps a child started with `detached: true` (its own process group) into a ManagedProcess. */
export function manage(name: string, child: ChildProcess, keepLines = 40): ManagedProcess {
  installHandlers();
  const lines: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > keepLines) lines.shift();
    }
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', () => resolve('spawn-error'));
  });
  const proc: ManagedProcess = {
    name,
    child,
    exited,
    recentOutput: () => [...lines],
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        signalGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // The leader may exit before the rest of its group: finish them off.
      signalGroup(child.pid, 'SIGKILL');
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

/** Spawns `command` as the leader of a new process group and manages it. */
export function spawnManaged(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
  return manage(name, child);
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

/** Polls `probe` every intervalMs until it resolves; rejects with `failure()` once timeoutMs passed or `abort` settles first. */
export async function waitUntil(
  probe: () => Promise<unknown>,
  options: { timeoutMs: number; intervalMs?: number; abort?: Promise<unknown>; failure: () => Error },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let aborted = false;
  void options.abort?.then(() => {
    aborted = true;
  });
  for (;;) {
    if (aborted) throw options.failure();
    try {
      await probe();
      return;
    } catch {
      if (Date.now() > deadline) throw options.failure();
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    }
  }
}
