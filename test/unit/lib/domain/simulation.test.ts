import { expect } from 'chai';
import sinon from 'sinon';
import { SimulatedFailure } from '../../../../lib/domain/errors';
import { seededRandom as mulberry32 } from '../../../../lib/domain/random';
import { simulateWork, type SimulationOptions } from '../../../../lib/domain/simulation';

function options(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  return { failureRate: 0.3, allowOverride: true, random: () => 0.9, ...overrides };
}

/** The error simulateWork throws, or undefined when the work succeeds. */
function outcome(payload: Record<string, unknown>, attempt: number, opts: SimulationOptions): Error | undefined {
  try {
    simulateWork(payload, attempt, opts);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('simulateWork', () => {
  describe('random failures', () => {
    it('fails when the draw is below the failure rate', () => {
      const error = outcome({}, 1, options({ random: () => 0.2999 }));

      expect(error).to.be.instanceOf(SimulatedFailure);
    });

    it('succeeds when the draw equals the failure rate (the boundary passes)', () => {
      const error = outcome({}, 1, options({ random: () => 0.3 }));

      expect(error).to.equal(undefined);
    });

    it('succeeds when the draw is above the failure rate', () => {
      const error = outcome({}, 1, options({ random: () => 0.9 }));

      expect(error).to.equal(undefined);
    });

    it('never fails at rate 0, even on a draw of 0', () => {
      const error = outcome({}, 1, options({ failureRate: 0, random: () => 0 }));

      expect(error).to.equal(undefined);
    });

    it('always fails at rate 1, even on a draw just below 1', () => {
      const error = outcome({}, 1, options({ failureRate: 1, random: () => 0.999999 }));

      expect(error).to.be.instanceOf(SimulatedFailure);
    });

    it('names a random failure, its rate and the attempt in the message and carries the attempt as context', () => {
      const error = outcome({}, 2, options({ random: () => 0.1 })) as SimulatedFailure;

      expect(error.name).to.equal('SimulatedFailure');
      expect(error.message).to.equal('simulated work failed: random failure (rate 0.3) on attempt 2');
      expect(error.context).to.deep.equal({ attempt: 2 });
    });

    it('draws exactly once per attempt', () => {
      const random = sinon.stub().returns(0.9);

      simulateWork({}, 1, options({ random }));

      expect(random.callCount).to.equal(1);
    });
  });

  describe('payload override, when allowed', () => {
    it('fails on simulate "fail" although the draw would pass, and says it was forced', () => {
      const error = outcome({ simulate: 'fail' }, 1, options({ random: () => 0.99 }));

      expect(error).to.be.instanceOf(SimulatedFailure);
      expect(error!.message).to.equal('simulated work failed: forced by payload.simulate = "fail"');
    });

    it('succeeds on simulate "succeed" although the draw would fail', () => {
      const error = outcome({ simulate: 'succeed' }, 1, options({ random: () => 0 }));

      expect(error).to.equal(undefined);
    });

    it('fails only on the listed attempts with simulate.failOnAttempts [2], whatever the draws', () => {
      const payload = { simulate: { failOnAttempts: [2] } };

      const results = [1, 2, 3].map((attempt) => outcome(payload, attempt, options({ random: () => 0 })));

      expect(results[0]).to.equal(undefined);
      expect(results[1]).to.be.instanceOf(SimulatedFailure);
      expect(results[1]!.message).to.equal('simulated work failed: forced by payload.simulate.failOnAttempts on attempt 2');
      expect(results[2]).to.equal(undefined);
    });

    it('does not consume a random draw when the outcome is forced', () => {
      const random = sinon.stub().returns(0);

      simulateWork({ simulate: 'succeed' }, 1, options({ random }));

      expect(random.called).to.equal(false);
    });

    it('leaves the outcome to the draw for a simulate value it does not recognise', () => {
      const results = [{ simulate: 'maybe' }, { simulate: { failOnAttempts: '2' } }, { simulate: true }].map((payload) =>
        outcome(payload, 1, options({ random: () => 0.1 })),
      );

      expect(results.every((e) => e instanceof SimulatedFailure && e.message.includes('random failure'))).to.equal(true);
    });
  });

  describe('payload override, when not allowed', () => {
    it('ignores simulate "fail": a passing draw succeeds', () => {
      const error = outcome({ simulate: 'fail' }, 1, options({ allowOverride: false, random: () => 0.9 }));

      expect(error).to.equal(undefined);
    });

    it('ignores simulate "succeed": a failing draw fails, as a random failure', () => {
      const error = outcome({ simulate: 'succeed' }, 1, options({ allowOverride: false, random: () => 0.1 }));

      expect(error).to.be.instanceOf(SimulatedFailure);
      expect(error!.message).to.equal('simulated work failed: random failure (rate 0.3) on attempt 1');
    });

    it('ignores simulate.failOnAttempts: the draws decide each attempt', () => {
      const payload = { simulate: { failOnAttempts: [2] } };
      const opts = options({ allowOverride: false, random: sinon.stub().onCall(0).returns(0.1).onCall(1).returns(0.9) });

      const results = [1, 2].map((attempt) => outcome(payload, attempt, opts));

      expect(results[0]).to.be.instanceOf(SimulatedFailure);
      expect(results[1]).to.equal(undefined);
    });
  });

  describe('distribution over many tasks (seeded, so deterministic)', () => {
    it('at rate 0.3 over 20,000 tasks of up to 3 attempts, about 70% / 21% / 6.3% succeed on attempt 1 / 2 / 3 and 2.7% fail all three', () => {
      const tasks = 20_000;
      const opts = options({ failureRate: 0.3, allowOverride: false, random: mulberry32(20260101) });
      const counts = { attempt1: 0, attempt2: 0, attempt3: 0, failedAll: 0 };

      for (let task = 0; task < tasks; task += 1) {
        let succeededOn: number | undefined;
        for (let attempt = 1; attempt <= 3 && succeededOn === undefined; attempt += 1) {
          if (outcome({}, attempt, opts) === undefined) succeededOn = attempt;
        }
        if (succeededOn === 1) counts.attempt1 += 1;
        else if (succeededOn === 2) counts.attempt2 += 1;
        else if (succeededOn === 3) counts.attempt3 += 1;
        else counts.failedAll += 1;
      }

      const share = (n: number) => n / tasks;
      expect(share(counts.attempt1)).to.be.closeTo(0.7, 0.015);
      expect(share(counts.attempt2)).to.be.closeTo(0.21, 0.015);
      expect(share(counts.attempt3)).to.be.closeTo(0.063, 0.015);
      expect(share(counts.failedAll)).to.be.closeTo(0.027, 0.015);
    });
  });
});
