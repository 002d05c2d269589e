import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { AWS_LIMITS, AWS_LIMITS_DATE, USAGE_PLAN_SOURCE } from '../../bench/awsLimits';
import {
  bulkMixFromCost,
  type CapacityResult,
  capacity,
  defaultParams,
  deployedSettings,
  indexWcuByPhase,
  mixFromCost,
  RAISED,
  raisedSettings,
  type Settings,
} from '../../bench/capacity';
import { bulkCostSummary, costSummary, taskMix, transition } from './factories';

/** Account defaults; a usage plan of 50 req/s and 864,000 requests a day (10 req/s); 16 shards. */
function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    label: 'test',
    apiAccountRps: 10_000,
    apiRateLimit: 50,
    apiBurstLimit: 100,
    apiQuotaPerDay: 864_000,
    lambdaConcurrency: 1_000,
    processorMaxConcurrency: 10,
    tableWriteUnits: 40_000,
    indexShards: 16,
    notes: [],
    ...overrides,
  };
}

const allowed = (result: CapacityResult, prefix: string) => {
  const row = result.rows.find((r) => r.limit.startsWith(prefix));
  if (!row) throw new Error(`no row ${prefix}: ${result.rows.map((r) => r.limit).join(', ')}`);
  return row.tasksPerSecond;
};

describe('bench capacity model', () => {
  describe('capacity', () => {
    it('divides each limit by the per-task demand (hand-computed)', () => {
      const result = capacity(taskMix(), settings());

      expect(allowed(result, 'API Gateway account throttle')).to.equal(10_000);
      expect(allowed(result, 'API Gateway usage plan rate')).to.equal(50);
      expect(allowed(result, 'API Gateway usage plan quota')).to.be.closeTo(10, 1e-9);
      // 1 x 10 ms + 0.2 x 50 ms = 0.02 concurrency-seconds a task.
      expect(allowed(result, 'Lambda concurrent executions')).to.be.closeTo(50_000, 1e-6);
      // 10 batches / (0.2 x 0.05 s).
      expect(allowed(result, 'SQS event source maximumConcurrency')).to.be.closeTo(1_000, 1e-6);
      expect(allowed(result, 'DynamoDB table-level write throughput (on-demand): table')).to.equal(8_000);
      expect(allowed(result, 'DynamoDB table-level write throughput (on-demand): byPhase index')).to.be.closeTo(13_333.33, 0.01);
      // UNFINISHED's 2 units over 16 shards: 0.125 a task on the hottest key.
      expect(allowed(result, 'DynamoDB partition: hottest index key (UNFINISHED#<shard>, 16 shards)')).to.equal(8_000);
      expect(allowed(result, 'DynamoDB partition: table key')).to.equal(Number.POSITIVE_INFINITY);
      expect(allowed(result, 'SQS standard queue API calls')).to.equal(Number.POSITIVE_INFINITY);
      // 120,000 / (2 deliveries x 0.05 s in flight).
      expect(allowed(result, 'SQS in-flight messages')).to.be.closeTo(1_200_000, 1e-3);
    });

    it('names the limit with the fewest tasks/s as binding, and only that one', () => {
      const result = capacity(taskMix(), settings());

      expect(result.binding.limit).to.equal('API Gateway usage plan quota (per key, a day)');
      expect(result.tasksPerSecond).to.be.closeTo(10, 1e-9);
      expect(result.rows.filter((r) => r.binding)).to.have.length(1);
      expect(result.meetsTarget).to.equal(false);
    });

    it('moves the binding limit as each knob is raised', () => {
      const api = { apiRateLimit: 1e6, apiQuotaPerDay: 1e12, apiAccountRps: 1e6 };

      expect(capacity(taskMix(), settings(api)).binding.limit).to.equal('SQS event source maximumConcurrency (processTask)');
      expect(capacity(taskMix(), settings({ ...api, processorMaxConcurrency: 1_000, indexShards: 32 })).binding.limit).to.equal(
        'DynamoDB table-level write throughput (on-demand): table',
      );
      const raised = capacity(taskMix(), settings({ ...api, processorMaxConcurrency: 1_000, indexShards: 32, tableWriteUnits: 1e6 }));
      expect(raised.binding.limit).to.equal('DynamoDB partition: hottest index key (UNFINISHED#<shard>, 32 shards)');
      expect(raised.tasksPerSecond).to.equal(16_000);
    });

    it('meets the target only with the hottest index key under half a partition at 10,000 tasks/s', () => {
      const knobs = { apiRateLimit: 1e6, apiQuotaPerDay: 1e12, apiAccountRps: 1e6, processorMaxConcurrency: 1_000, tableWriteUnits: 1e6 };

      // 32 shards: 2 x 10,000 / 32 = 625 writes/s on a key, 62.5%: sustained, but too hot.
      const hot = capacity(taskMix(), settings({ ...knobs, indexShards: 32 }));
      expect(hot.tasksPerSecond).to.be.at.least(10_000);
      expect(hot.hottestIndexKey.writesPerSecondAtTarget).to.equal(625);
      expect(hot.meetsTarget).to.equal(false);
      // 64 shards: 312.5 writes/s, 31%.
      const cool = capacity(taskMix(), settings({ ...knobs, indexShards: 64 }));
      expect(cool.hottestIndexKey.useAtTarget).to.equal(0.3125);
      expect(cool.meetsTarget).to.equal(true);
    });

    it("scales the hottest key by the measured shard skew and each row's use by the target", () => {
      const result = capacity(taskMix({ shardSkew: 1.1 }), settings(), 4_000);

      expect(result.hottestIndexKey.writesPerTask).to.be.closeTo((2 * 1.1) / 16, 1e-12);
      const table = result.rows.find((r) => r.limit.endsWith(': table'));
      expect(table?.useAtTarget).to.equal(0.5);
    });

    it('reports ramps with the time to reach the target instead of a sustained rate', () => {
      const result = capacity(taskMix(), settings({ processorMaxConcurrency: 1_000 }));
      const ramps = result.rows.filter((r) => Number.isNaN(r.tasksPerSecond));

      expect(ramps.map((r) => r.limit)).to.deep.equal([
        'Lambda concurrency scaling rate',
        'SQS event source scale-up',
        'DynamoDB on-demand initial throughput',
      ]);
      expect(ramps.every((r) => !r.binding)).to.equal(true);
      // 10,000 x 0.01 = 100 concurrent batches: (100 - 5) / 300 per minute = 19 s.
      expect(ramps[1].note).to.contain('100 concurrent batches').and.contain(': 19 s');
      // 50,000 WRU/s from 4,000: 4 doublings.
      expect(ramps[2].note).to.contain('50,000 WRU/s').and.contain('4 doublings (~120 min)');
    });

    it('refuses settings outside what AWS accepts', () => {
      expect(() => capacity(taskMix(), settings({ processorMaxConcurrency: 1_001 }))).to.throw('processorMaxConcurrency must be 2-1000');
      expect(() => capacity(taskMix(), settings({ indexShards: 0 }))).to.throw('indexShards must be a positive integer');
    });

    it('sustains 10,000 tasks/s through bulk submits of the measured mix with the documented knobs', () => {
      const bulk = bulkMixFromCost(bulkCostSummary());

      const result = capacity(bulk, raisedSettings());
      expect(result.tasksPerSecond).to.be.at.least(10_000);
      expect(result.meetsTarget).to.equal(true);
      expect(RAISED.processorMaxConcurrency).to.be.at.most(AWS_LIMITS.esmMaximumConcurrency.value);
    });
  });

  describe('indexWcuByPhase', () => {
    it('puts the submit and the finishing deletes on UNFINISHED, the finishing puts on their phase', () => {
      const phases = indexWcuByPhase(costSummary().transitions);

      expect(phases.UNFINISHED).to.be.closeTo(2, 1e-12);
      expect(phases.SUCCEEDED).to.be.closeTo(0.97, 1e-12);
      expect(phases.FAILED).to.be.closeTo(0.03, 1e-12);
    });

    it('leaves SUCCEEDED out when its write only removes the keys (indexSucceeded false)', () => {
      const phases = indexWcuByPhase([transition('PutItem STATE', 1, 1), transition('UpdateItem -> SUCCEEDED', 1, 1)]);

      expect(phases).to.deep.equal({ UNFINISHED: 2 });
    });
  });

  describe('mixFromCost', () => {
    it('reads the per-task load of each function, the deliveries and the write units of a run', () => {
      const mix = mixFromCost(costSummary());

      expect(mix.functions.submitTask).to.deep.equal({ invocationsPerTask: 1, meanDurationMs: 10 });
      expect(mix.functions.processTask).to.deep.equal({ invocationsPerTask: 0.2, meanDurationMs: 50 });
      expect(mix.deliveriesPerTask).to.equal(1.4);
      expect(mix.tableWcuPerTask).to.equal(5);
      expect(mix.indexWcuPerTask).to.equal(3);
      expect(mix.shardSkew).to.equal(1);
      expect(mix.shardSkewSource).to.contain('model: 1/N');
    });

    it('takes the shard skew from a measured trace when there is one', () => {
      const mix = mixFromCost(costSummary(), { shareOfPhase: 0.064, shardsSeen: 16 });

      expect(mix.shardSkew).to.be.closeTo(1.024, 1e-12);
      expect(mix.shardSkewSource).to.contain('measured').and.contain('6.4%');
    });
  });

  describe('settings', () => {
    const yml = [
      'service: x',
      'params:',
      '  default:',
      '    apiRateLimit: 50',
      '    apiBurstLimit: 100 # a bucket',
      '    apiQuotaPerDay: 1000000',
      '    processorMaxConcurrency: 10',
      '    alarmEmail: ""',
      '  dev:',
      '    apiRateLimit: 5',
      'custom:',
      '  apiRateLimit: 7',
    ].join('\n');

    it("reads params.default and nothing of another stage's or section's", () => {
      expect(defaultParams(yml)).to.deep.equal({
        apiRateLimit: '50',
        apiBurstLimit: '100',
        apiQuotaPerDay: '1000000',
        processorMaxConcurrency: '10',
        alarmEmail: '',
      });
    });

    it('takes an unsharded index when serverless.yml has no indexShards, and says so', () => {
      const s = deployedSettings(yml);

      expect(s.indexShards).to.equal(1);
      expect(s.notes.join()).to.contain('no indexShards param');
      expect(deployedSettings(yml.replace('    alarmEmail', '    indexShards: 16\n    alarmEmail')).indexShards).to.equal(16);
    });

    it("reads this repository's serverless.yml: the usage plan and the event source's defaults", () => {
      const s = deployedSettings(fs.readFileSync(path.join(__dirname, '..', '..', 'serverless.yml'), 'utf8'));

      expect(s).to.include({ apiRateLimit: 50, apiBurstLimit: 100, processorMaxConcurrency: 10, lambdaConcurrency: 1_000 });
    });

    it('names a missing param', () => {
      expect(() => deployedSettings('params:\n  default:\n    apiRateLimit: 50\n')).to.throw('params.default.apiBurstLimit');
    });
  });

  describe('the limits table', () => {
    it('is dated, and each limit has a value, a knob and the AWS page that states it', () => {
      expect(AWS_LIMITS_DATE).to.match(/^\d{4}-\d{2}-\d{2}$/);
      for (const [id, limit] of Object.entries(AWS_LIMITS)) {
        expect(limit.value, id).to.be.greaterThan(0);
        expect(limit.knob, id).to.not.equal('');
        expect(limit.source, id).to.match(/^https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//);
      }
      expect(USAGE_PLAN_SOURCE).to.match(/^https:\/\/docs\.aws\.amazon\.com\//);
    });
  });
});
