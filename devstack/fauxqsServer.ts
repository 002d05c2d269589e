import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalStackError } from './processes';
import type { LocalServer } from './localServer';

/** The slice of fauxqs's (ESM-only) API used here. */
interface FauxqsModules {
  buildApp(options: { logger: boolean; stores: { sqsStore: { host: string } } }): {
    listen(options: { port: number; host: string }): Promise<string>;
    close(): Promise<void>;
    server: { address(): { port: number } | string | null };
  };
  SqsStore: new () => { host: string };
}

// TypeScript compiles import() to require() under CommonJS, which cannot load an ES module
// (fauxqs exports only an `import` condition). A bare specifier resolves from this file.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = path.join(base, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new LocalStackError(`package ${name} is not installed: run npm ci`);
}

let modules: Promise<FauxqsModules> | undefined;

function loadFauxqs(): Promise<FauxqsModules> {
  modules ??= (async () => {
    // buildApp is fauxqs's public entry. SqsStore is not exported, but only a store whose host
    // is '' gives queue URLs on the request's host: no public option does (`host` adds `sqs.<region>.`).
    const storeFile = path.join(packageDir('fauxqs'), 'dist', 'sqs', 'sqsStore.js');
    const [app, store] = await Promise.all([importEsm('fauxqs'), importEsm(pathToFileURL(storeFile).href)]);
    return { buildApp: app.buildApp, SqsStore: store.SqsStore } as FauxqsModules;
  })();
  return modules;
}

/**
 * Starts fauxqs (SQS emulator) in this process on 127.0.0.1:`port` (0: any free port).
 * Queue URLs take the form `<endpoint>/000000000000/<name>` (the host of the CreateQueue
 * request) instead of fauxqs's default `sqs.<region>.localhost`, so they match the URLs the
 * local stage builds from LOCAL_SQS_ENDPOINT.
 */
export async function startFauxqs(port: number, options: { portEnvName?: string } = {}): Promise<LocalServer> {
  const { buildApp, SqsStore } = await loadFauxqs();
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  const app = buildApp({ logger: false, stores: { sqsStore } });
  try {
    await app.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new LocalStackError(
        `port ${port} (fauxqs, the SQS emulator) is already in use: stop whatever holds it or choose another port with ${options.portEnvName ?? 'LOCAL_SQS_PORT'}=<port>`,
      );
    }
    throw error;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  let stopped: Promise<void> | undefined;
  return {
    name: 'fauxqs',
    endpoint: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    stop: () => (stopped ??= app.close()),
    pids: () => [],
  };
}
