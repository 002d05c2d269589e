import { expect } from 'chai';
import { expiryAfter, isExpired, unfinishedLifetimeSeconds } from '../../../../lib/domain/retention';
import { storeOptions } from '../../../../lib/runtime';
import { testConfig } from '../../../helpers/factories';

describe('retention', () => {
  it('bounds how long a task stays unfinished: a delayed start, every attempt at the longest delay and a full lease, the grace', () => {
    expect(unfinishedLifetimeSeconds({ maxAttempts: 10, maxDelaySeconds: 900, leaseSeconds: 30, reconcileGraceSeconds: 900 })).to.equal(
      900 + 10 * 930 + 900,
    );
  });

  it('gives the stage store that bound for the most attempts any type may ask for (10), with the stage lease and grace', () => {
    const options = storeOptions(testConfig({ leaseSeconds: 30, reconcileGraceSeconds: 900, retentionDays: 7, indexShards: 8 }));

    expect(options).to.include({ unfinishedLifetimeSeconds: 11_100, retentionDays: 7, indexShards: 8, indexSucceeded: true });
  });

  it('writes expiries in epoch seconds, as DynamoDB TTL reads them', () => {
    expect(expiryAfter('2026-01-01T00:00:00.900Z', 86400)).to.equal(1767225600 + 86400);
  });

  it('counts an item as expired from its expiry on, and one without expiry never', () => {
    const at = new Date('2026-01-02T00:00:00.000Z');

    expect(isExpired(expiryAfter(at.toISOString(), 0), at)).to.equal(true);
    expect(isExpired(expiryAfter(at.toISOString(), 1), at)).to.equal(false);
    expect(isExpired(undefined, at)).to.equal(false);
  });
});
