import { expect } from 'chai';
import sinon from 'sinon';
import { type BackoffPolicy, retryDelaySeconds } from '../../../../lib/domain/backoff';

/** A policy with SQS's 900 s ceiling. */
function policy(baseSeconds: number, jitter: BackoffPolicy['jitter'] = 'none'): BackoffPolicy {
  return { baseSeconds, maxDelaySeconds: 900, jitter };
}

/** Delays after failed attempts 1..n. */
function schedule(p: BackoffPolicy, n: number, random?: () => number): number[] {
  return Array.from({ length: n }, (_, i) => retryDelaySeconds(i + 1, p, random));
}

describe('retryDelaySeconds', () => {
  describe('without jitter', () => {
    it('waits 1, 2, 4, 8, 16 s after failed attempts 1 to 5 with base 1', () => {
      const delays = schedule(policy(1), 5);

      expect(delays).to.deep.equal([1, 2, 4, 8, 16]);
    });

    it('waits 2, 4, 8, 16 s after failed attempts 1 to 4 with base 2', () => {
      const delays = schedule(policy(2), 4);

      expect(delays).to.deep.equal([2, 4, 8, 16]);
    });

    it('waits 10, 20, 40, 80, 160, 320, 640 s after failed attempts 1 to 7 with base 10', () => {
      const delays = schedule(policy(10), 7);

      expect(delays).to.deep.equal([10, 20, 40, 80, 160, 320, 640]);
    });

    it('caps the delay at 900 s from the 8th failed attempt on with base 10 (900, not 1280)', () => {
      const delays = [8, 9, 20].map((n) => retryDelaySeconds(n, policy(10)));

      expect(delays).to.deep.equal([900, 900, 900]);
    });

    it('reaches exactly 900 s without capping when the doubling lands on it (base 225, 4th failure)', () => {
      const delays = schedule(policy(225), 5);

      expect(delays).to.deep.equal([225, 450, 900, 900, 900]);
    });

    it('caps at the policy maximum, whatever it is', () => {
      const delay = retryDelaySeconds(3, { baseSeconds: 10, maxDelaySeconds: 30, jitter: 'none' });

      expect(delay).to.equal(30);
    });

    it('retries immediately (0 s) at every attempt with base 0', () => {
      const delays = schedule(policy(0), 5);

      expect(delays).to.deep.equal([0, 0, 0, 0, 0]);
    });

    it('does not consult the random source', () => {
      const random = sinon.stub().returns(0);

      retryDelaySeconds(2, policy(10), random);

      expect(random.called).to.equal(false);
    });
  });

  describe('with full jitter', () => {
    it('draws the delay from the injected random source: 0.5 of base 10 after the 2nd failure is 10 s', () => {
      const random = sinon.stub().returns(0.5);

      const delay = retryDelaySeconds(2, policy(10, 'full'), random);

      expect(random.calledOnce).to.equal(true);
      expect(delay).to.equal(10);
    });

    it('retries immediately when the draw is 0', () => {
      const delay = retryDelaySeconds(3, policy(10, 'full'), () => 0);

      expect(delay).to.equal(0);
    });

    it('waits the full exponential delay when the draw is just below 1', () => {
      const delays = schedule(policy(10, 'full'), 4, () => 0.999999);

      expect(delays).to.deep.equal([10, 20, 40, 80]);
    });

    for (const r of [0, 0.5, 0.999999]) {
      it(`stays within [0, base*2^(n-1)] for every failed attempt 1..12 and base 1, 2, 10 when the draw is ${r}`, () => {
        const cases = [1, 2, 10].flatMap((base) => Array.from({ length: 12 }, (_, i) => ({ base, n: i + 1 })));

        const outOfRange = cases.filter(({ base, n }) => {
          const exact = Math.min(900, base * 2 ** (n - 1));
          const delay = retryDelaySeconds(n, policy(base, 'full'), () => r);
          return !Number.isInteger(delay) || delay < 0 || delay > exact;
        });

        expect(outOfRange).to.deep.equal([]);
      });
    }

    it('never exceeds 900 s, even for late attempts and a draw just below 1', () => {
      const delays = [8, 10, 30].map((n) => retryDelaySeconds(n, policy(10, 'full'), () => 0.999999));

      expect(delays).to.deep.equal([900, 900, 900]);
    });

    it('stays 0 with base 0 whatever the draw', () => {
      const delays = [0, 0.5, 0.999999].map((r) => retryDelaySeconds(1, policy(0, 'full'), () => r));

      expect(delays).to.deep.equal([0, 0, 0]);
    });
  });
});
