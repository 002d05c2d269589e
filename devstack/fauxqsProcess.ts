import path from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from './fauxqsServer';
import { LOCAL_CREDENTIALS, type LocalServer } from './localServer';
import { answers, pollUntil } from '../tools/poll';
import { LocalStackError, freePort, spawnManaged } from './processes';

/**
 * Starts fauxqs in a process of its own (a process group), so a test can pause it with
 * SIGSTOP/SIGCONT the way DynamoDB Local can be paused; resolves once it answers ListQueues.
 */
export async function startFauxqsProcess(port = 0, options: { timeoutMs?: number } = {}): Promise<LocalServer> {
  const actualPort = port || (await freePort());
  const proc = spawnManaged('fauxqs', process.execPath, ['--require', 'ts-node/register/transpile-only', __filename, String(actualPort)], {
    cwd: path.join(__dirname, '..'),
  });
  const endpoint = `http://127.0.0.1:${actualPort}`;
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    await pollUntil(
      answers(() => client.send(new ListQueuesCommand({}))),
      {
        timeoutMs: options.timeoutMs ?? 30_000,
        abort: proc.exited,
        failure: () => new LocalStackError(`fauxqs did not answer on ${endpoint}: ${proc.recentOutput().slice(-1)[0] ?? 'no output'}`),
      },
    );
  } catch (error) {
    await proc.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { name: 'fauxqs', endpoint, port: actualPort, stop: () => proc.stop(), pids: () => (proc.child.pid ? [proc.child.pid] : []) };
}

// Run as the child: serve until told to stop.
if (require.main === module) {
  void startFauxqs(Number(process.argv[2])).then(
    (server) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void server.stop().then(() => process.exit(0)));
    },
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
