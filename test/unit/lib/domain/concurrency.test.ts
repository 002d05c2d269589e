import { expect } from 'chai';
import { mapLimit } from '../../../../lib/domain/concurrency';
import { sleep } from '../../../../tools/poll';

describe('lib/domain/concurrency (mapLimit)', () => {
  it('keeps at most `limit` calls in flight and returns the results in input order', async () => {
    let inFlight = 0;
    let most = 0;

    const results = await mapLimit([30, 5, 20, 1, 10], 2, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await sleep(ms);
      inFlight--;
      return `${i}:${ms}`;
    });

    expect(results).to.deep.equal(['0:30', '1:5', '2:20', '3:1', '4:10']);
    expect(most).to.equal(2);
  });
});
