import { LocalStackError } from './processes';
import type { LocalServer } from './localServer';

/** fauxqs's public API: its package entry, an ES module. */
type Fauxqs = typeof import('fauxqs');

// TypeScript compiles import() to require() under CommonJS, which cannot load an ES module
// (fauxqs exports only an `import` condition). A bare specifier resolves from this file.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let fauxqs: Promise<Fauxqs> | undefined;

function loadFauxqs(): Promise<Fauxqs> {
  fauxqs ??= (importEsm('fauxqs') as Promise<Fauxqs>).catch((error: unknown) => {
    fauxqs = undefined;
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new LocalStackError('package fauxqs is not installed: run npm ci', { cause: error });
  });
  return fauxqs;
}

/**
 * Starts fauxqs (SQS emulator) in this process on 127.0.0.1:`port` (0: any free port), through
 * its public entry. Its queue URLs read `http://sqs.<region>.localhost:<port>/000000000000/<name>`,
 * but it finds a queue by the name (and region) in any URL's path: the local stack uses
 * `<endpoint>/000000000000/<name>` throughout (createResources), as the local stage builds them
 * from LOCAL_SQS_ENDPOINT.
 */
export async function startFauxqs(port: number, options: { portEnvName?: string } = {}): Promise<LocalServer> {
  const { buildApp } = await loadFauxqs();
  const app = buildApp({ logger: false });
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
