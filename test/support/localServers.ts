import { startLocalServers, type LocalServers, type LocalServersOptions } from '../../devstack';

/**
 * Mocha hooks for a suite that needs DynamoDB Local and fauxqs with serverless.yml's
 * resources (stage 'test' by default) on free ports: starts them in `before`, stops them in
 * `after`. Call it inside `describe`; the returned function gives the running servers
 * (their `clients`, `resources` by logical id and a function's `env`).
 */
export function useLocalServers(options: LocalServersOptions = {}): () => LocalServers {
  let servers: LocalServers | undefined;
  before(async function () {
    // Java start-up and `serverless print` take a few seconds each; more on a busy CI runner.
    this.timeout(90_000);
    servers = await startLocalServers(options);
  });
  after(async function () {
    this.timeout(20_000);
    await servers?.stop();
  });
  return () => {
    if (!servers)
      throw new Error('the local servers are not running: call useLocalServers() inside describe() and use it in tests or hooks');
    return servers;
  };
}
