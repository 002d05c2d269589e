import { expect } from 'chai';
import { answers, pollUntil, sleep } from '../../../tools/poll';

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error) => error,
  );

describe('tools/poll', () => {
  it('resolves with the first truthy value the check returns', async () => {
    let calls = 0;

    const value = await pollUntil(() => (++calls === 3 ? { calls } : undefined), {
      timeoutMs: 1000,
      intervalMs: 1,
      failure: () => 'never',
    });

    expect(value).to.deep.equal({ calls: 3 });
  });

  it('rejects with the failure message once the timeout has passed', async () => {
    const error = await rejection(pollUntil(() => false, { timeoutMs: 20, intervalMs: 5, failure: () => 'still not there' }));

    expect(error).to.be.instanceOf(Error);
    expect(error?.message).to.equal('still not there');
  });

  it("gives up at once when `abort` resolves, with the caller's own error", async () => {
    class Gone extends Error {}
    const started = Date.now();

    const error = await rejection(
      pollUntil(() => false, { timeoutMs: 10_000, intervalMs: 5, abort: sleep(10), failure: () => new Gone('exited') }),
    );

    expect(error).to.be.instanceOf(Gone);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('lets an error of the check through, unless the check is a probe wrapped in answers()', async () => {
    let calls = 0;
    const probe = async () => {
      if (++calls < 3) throw new Error('connection refused');
    };

    const thrown = await rejection(pollUntil(() => Promise.reject(new Error('boom')), { timeoutMs: 1000, failure: () => 'never' }));
    const answered = await pollUntil(answers(probe), { timeoutMs: 1000, intervalMs: 1, failure: () => 'never' });

    expect(thrown?.message).to.equal('boom');
    expect(answered).to.equal(true);
    expect(calls).to.equal(3);
  });
});
