import { expect } from 'chai';
import { median, quantile, summary, sum } from '../../../tools/stats';

describe('tools/stats', () => {
  const values = [9, 1, 5, 3, 7, 2, 8, 4, 6, 10];

  it('takes quantiles by the nearest rank, without reordering the input', () => {
    expect(quantile(values, 0.95)).to.equal(10);
    expect(quantile(values, 0.5)).to.equal(5);
    expect(quantile(values, 0)).to.equal(1);
    expect(median([4, 1, 3])).to.equal(3);
    expect(quantile([], 0.5)).to.be.NaN;
    expect(values[0]).to.equal(9);
  });

  it('summarises count, min, median, p95 and max, and nothing for no values', () => {
    expect(summary(values)).to.deep.equal({ n: 10, min: 1, median: 5, p95: 10, max: 10 });
    expect(summary([])).to.equal(undefined);
    expect(sum(values)).to.equal(55);
  });
});
