import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ATTEMPT_MARGIN_SECONDS, registryFor, TaskTypeRegistry } from '../../../../lib/types/registry';
import { DEFAULT_POLICY } from '../../../../lib/types/contract';
import { ConfigError } from '../../../../lib/domain/errors';
import { testConfig } from '../../../helpers/factories';

const LIMITS = { processorTimeoutSeconds: 15, leaseSeconds: 30 };
const type = (name: string, policy: Record<string, unknown> = {}) => ({ name, description: name, policy, handle: () => undefined });

/** The processor's timeout and the lease as serverless.yml deploys them. */
function deployedTimeouts(): { processTask: number; leaseSeconds: number } {
  const text = fs.readFileSync(path.resolve(__dirname, '../../../../serverless.yml'), 'utf8');
  const number = (key: string) => Number(new RegExp(`^\\s+${key}: (\\d+)$`, 'm').exec(text)![1]);
  return { processTask: number('processTask'), leaseSeconds: number('leaseSeconds') };
}

describe('task type registry', () => {
  it('holds every registered type with a policy that fits the deployed processor timeout and lease', () => {
    const deployed = deployedTimeouts();
    const registry = registryFor(
      testConfig({ processorTimeoutSeconds: deployed.processTask, leaseSeconds: deployed.leaseSeconds }),
      Math.random,
    );
    expect(registry.names()).to.deep.equal(['simulated', 'webhook', 'wordCount']);
    for (const name of registry.names()) {
      const { policy } = registry.get(name)!;
      expect(policy.maxAttempts, name).to.be.within(1, 10);
      expect(policy.maxDelaySeconds, name).to.be.at.most(900);
      expect(policy.timeoutSeconds + ATTEMPT_MARGIN_SECONDS, `${name}: timeout + margin`).to.be.at.most(deployed.processTask);
      expect(deployed.leaseSeconds, `${name}: lease > attempt timeout`).to.be.above(policy.timeoutSeconds);
    }
  });

  it('derives a task queue visibility of at least 6x the processor timeout (deploy/visibilityTimeout.js)', async () => {
    const deployed = deployedTimeouts();
    const visibilityTimeouts = require('../../../../deploy/visibilityTimeout.js');
    const functions = { processTask: { timeout: deployed.processTask, events: [{ sqs: { maximumBatchingWindow: 1 } }] } };
    const resolveVariable = async (name: string) => (name === 'self:functions' ? functions : 10);

    const { processTask } = await visibilityTimeouts({ resolveVariable });

    expect(processTask).to.be.at.least(6 * deployed.processTask);
    expect(processTask, 'and the lease expires before the message is visible again').to.be.above(deployed.leaseSeconds);
  });

  it("gives the default type the stage's policy: maxAttempts 3, BACKOFF_BASE_SECONDS and BACKOFF_JITTER", () => {
    const registry = registryFor(testConfig({ backoff: { baseSeconds: 7, maxDelaySeconds: 900, jitter: 'full' } }), Math.random);

    expect(registry.defaultType).to.equal('simulated');
    expect(registry.get('simulated')!.policy).to.include({ maxAttempts: 3, baseSeconds: 7, jitter: 'full' });
  });

  it('fills the fields a type leaves out from the defaults', () => {
    const registry = new TaskTypeRegistry([type('plain')], LIMITS);

    expect(registry.get('plain')!.policy).to.deep.equal(DEFAULT_POLICY);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['maxAttempts', { maxAttempts: 0 }, "task type 'bad': policy.maxAttempts must be an integer in [1, 10], got 0"],
    ['maxAttempts', { maxAttempts: 11 }, "task type 'bad': policy.maxAttempts must be an integer in [1, 10], got 11"],
    ['maxDelaySeconds', { maxDelaySeconds: 901 }, "task type 'bad': policy.maxDelaySeconds must be an integer in [0, 900], got 901"],
    ['baseSeconds', { baseSeconds: 1.5 }, "task type 'bad': policy.baseSeconds must be an integer in [0, 900], got 1.5"],
    ['jitter', { jitter: 'some' }, `task type 'bad': policy.jitter must be 'none' or 'full', got "some"`],
    [
      'timeoutSeconds',
      { timeoutSeconds: 13 },
      "task type 'bad': policy.timeoutSeconds must be more than 0 and at most 12 (the processor's timeout of 15 s less 3 s to record the outcome), got 13",
    ],
    ['timeoutSeconds', { timeoutSeconds: 0 }, 'must be more than 0'],
  ];
  for (const [field, policy, message] of bad) {
    it(`refuses a bad ${field} (${JSON.stringify(policy)}) with one error naming the type and the field`, () => {
      expect(() => new TaskTypeRegistry([type('bad', policy)], LIMITS))
        .to.throw(ConfigError, message)
        .with.property('context')
        .that.deep.equals({ type: 'bad', field });
    });
  }

  it('refuses an attempt timeout the lease does not outlive', () => {
    expect(() => new TaskTypeRegistry([type('bad', { timeoutSeconds: 12 })], { processorTimeoutSeconds: 15, leaseSeconds: 12 })).to.throw(
      ConfigError,
      "task type 'bad': policy.timeoutSeconds must be less than the lease (LEASE_SECONDS = 12), got 12",
    );
  });

  it('refuses a duplicate name, a bad name and an empty registry', () => {
    expect(() => new TaskTypeRegistry([type('a'), type('a')], LIMITS)).to.throw(ConfigError, "task type 'a' is registered twice");
    expect(() => new TaskTypeRegistry([type('9lives')], LIMITS)).to.throw(ConfigError, 'must be 1-40 letters');
    expect(() => new TaskTypeRegistry([], LIMITS)).to.throw(ConfigError, 'registry is empty');
  });
});
