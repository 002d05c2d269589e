import { expect } from 'chai';
import { redriveEach } from '../../cli/bulkRedrive';
import { ApiError, AuthError, ConflictError } from '../../cli/client';

const clock = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};
const apiError = (Type: typeof ApiError, status: number, code: string) => new Type(status, code, `${code} message`, {}, 'POST', '/x');

describe('cli/bulkRedrive: redriving many tasks', () => {
  it('skips 409s, records other API errors and goes on, reporting each task as it goes', async () => {
    const failures: Record<string, Error> = {
      b: apiError(ConflictError, 409, 'TASK_STATE_CONFLICT'),
      c: apiError(ApiError, 503, 'ENQUEUE_FAILED'),
    };
    const seen: string[] = [];

    const result = await redriveEach(
      {
        redrive: async (id) => {
          if (failures[id]) throw failures[id];
          return {} as never;
        },
      },
      ['a', 'b', 'c', 'd'],
      {
        rate: 100,
        clock: clock(),
        onOutcome: (o, i) => seen.push(`${i}:${o.taskId}:${o.result}`),
      },
    );

    expect(result.redriven).to.deep.equal(['a', 'd']);
    expect(result.skipped).to.deep.equal([{ taskId: 'b', message: 'TASK_STATE_CONFLICT message' }]);
    expect(result.errors).to.deep.equal([{ taskId: 'c', status: 503, code: 'ENQUEUE_FAILED', message: 'ENQUEUE_FAILED message' }]);
    expect(seen).to.deep.equal(['0:a:redriven', '1:b:skipped', '2:c:error', '3:d:redriven']);
  });

  it('stops at a rejected key, keeping the error, and when asked to stop', async () => {
    const denied = apiError(AuthError, 403, 'INVALID_API_KEY');
    const calls: string[] = [];
    const byKey = await redriveEach(
      {
        redrive: async (id) => {
          calls.push(id);
          if (id === 'b') throw denied;
          return {} as never;
        },
      },
      ['a', 'b', 'c'],
      { rate: 100, clock: clock() },
    );
    let asked = 0;
    const byUser = await redriveEach({ redrive: async () => ({}) as never }, ['a', 'b', 'c'], {
      rate: 100,
      clock: clock(),
      shouldStop: () => asked++ >= 1,
    });

    expect([calls, byKey.redriven, byKey.aborted, byKey.fatal]).to.deep.equal([
      ['a', 'b'],
      ['a'],
      '403 INVALID_API_KEY: INVALID_API_KEY message',
      denied,
    ]);
    expect([byUser.redriven, byUser.aborted]).to.deep.equal([['a'], 'stopped']);
  });
});
