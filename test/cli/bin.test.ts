import { expect } from 'chai';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { API_KEY, FakeClock, makeTask, startFakeApi, type FakeApi } from './fakeApi';

const BIN = path.resolve(__dirname, '../../bin/tasks');

/** Runs bin/tasks as a process from another directory (asynchronously: the fake API lives in this process). */
function runBin(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const { TASKS_API_URL: _url, TASKS_API_KEY: _key, LOCAL_API_KEY: _local, ...inherited } = process.env;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), env: { ...inherited, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bin/tasks', () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi(new FakeClock());
  });
  after(() => api.close());

  it('runs from any directory, takes the target from the environment and sets the exit code', async () => {
    // Few processes: ts-node startup costs most of a second each.
    const res = await runBin(['status', 'nope'], { TASKS_API_URL: api.url, TASKS_API_KEY: API_KEY });

    expect(res.code, res.stderr).to.equal(3);
    expect(res.stdout).to.equal('');
    expect(res.stderr).to.equal("tasks: not found (404): task 'nope' does not exist\n");
    expect(api.requests.map((r) => [r.method, r.path, r.apiKey])).to.deep.equal([['GET', '/tasks/nope', API_KEY]]);
  });

  it('cancels through the process, exiting 1 with the reason when an attempt is running', async () => {
    api.tasks.set('busy', makeTask('busy', 'PROCESSING'));
    api.requests.length = 0;

    const res = await runBin(['cancel', 'busy'], { TASKS_API_URL: api.url, TASKS_API_KEY: API_KEY });

    expect(res.code, res.stderr).to.equal(1);
    expect(res.stderr).to.match(/^tasks: conflict \(409 TASK_STATE_CONFLICT\): task 'busy' is PROCESSING: an attempt is running;/);
    expect(api.requests.map((r) => [r.method, r.path])).to.deep.equal([['POST', '/tasks/busy/cancel']]);
  });
});
