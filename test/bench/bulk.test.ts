import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bulkMixFromCost, mixFromCost } from '../../bench/capacity';
import { summarizeRun } from '../../bench/cost';
import { requestsOf } from '../../bench/pipeline';
import { loadPrices } from '../../bench/priceTable';
import { bulkCostSummary, bulkRun, costSummary } from './factories';

const ROOT = path.join(__dirname, '..', '..');
const TARGET_USD_PER_MILLION = 5.5;

describe('bench bulk path (POST /tasks/batch, measured)', () => {
  const prices = loadPrices();

  describe('the cost of a bulk run', () => {
    it('bills one API request and one submitTasks invocation per 100 tasks, and the batch sends as counted (hand-computed)', () => {
      const bulk = bulkCostSummary();

      expect(bulk.perTask.apiRequests).to.equal(0.01);
      // 10 submitTasks + 200 processTask invocations over 1,000 tasks.
      expect(bulk.perTask.lambdaInvocations).to.be.closeTo(0.21, 1e-12);
      // submitTasks 10 x 0.5 s and processTask 200 x 0.05 s, at 256 MB: 3.75 GB-s over 1,000 tasks.
      expect(bulk.perTask.lambdaGbSeconds).to.be.closeTo(0.00375, 1e-12);
      // 100 SendMessageBatch calls (one 64 KB chunk each) + 400 single retries.
      expect(bulk.perTask.sqsBilledRequests).to.be.closeTo(0.5, 1e-12);
      expect(bulk.perTask.wcu).to.be.closeTo(7.83, 1e-12);
      expect(bulk.usdPerMillion.apiGateway).to.be.closeTo(0.035, 1e-12);
      expect(bulk.usdPerMillion.sqs).to.be.closeTo(0.2, 1e-12);
      expect(bulk.usdPerMillion.total).to.be.closeTo(
        0.035 + 0.21 * 0.2 + 0.00375 * 1e6 * prices.lambda.arm64GbSecond + 0.2 + 7.83 * 0.625,
        1e-9,
      );
    });

    it('meets the $5.50 target with the shape of a measured bulk run, where single submits of the same mix do not', () => {
      const bulk = bulkCostSummary();
      const run = bulkRun();
      // The same tasks, one POST /tasks and one submitTask invocation each, first attempts sent one by one.
      run.usage.apiRequests = { 'POST /tasks': 1000 };
      run.usage.invocations = [
        ...run.usage.invocations.filter((i) => i.functionKey !== 'submitTasks'),
        ...Array.from({ length: 1000 }, () => ({ functionKey: 'submitTask', durationMs: 5, records: 1 })),
      ];
      const sends = run.usage.ops.find((o) => o.detail === 'SendMessage task queue');
      if (!sends) throw new Error('bulkRun() has no single sends');
      Object.assign(sends, { calls: 1400, billedRequests: 1400 });
      run.usage.ops = run.usage.ops.filter((o) => o.operation !== 'SendMessageBatch');
      const single = summarizeRun('~1 KB payloads', 1024, run, prices, { submitTask: 256, processTask: 256 });

      expect(bulk.usdPerMillion.total).to.be.at.most(TARGET_USD_PER_MILLION);
      expect(single.usdPerMillion.total).to.be.greaterThan(TARGET_USD_PER_MILLION);
      expect(single.usdPerMillion.dynamoDbWrites).to.equal(bulk.usdPerMillion.dynamoDbWrites);
    });
  });

  it('cuts the tasks into requests of 100 in order, the last one shorter', () => {
    const tasks = Array.from({ length: 250 }, (_, i) => i);

    const requests = requestsOf(tasks, 100);

    expect(requests.map((r) => r.length)).to.deep.equal([100, 100, 50]);
    expect(requests.flat()).to.deep.equal(tasks);
    expect(() => requestsOf(tasks, 0)).to.throw('tasks per request must be a positive integer; got 0');
  });

  describe('bulkMixFromCost', () => {
    it("takes submitTasks' measured load and the run's API requests, labelled with its tasks a request", () => {
      const mix = bulkMixFromCost(bulkCostSummary());

      expect(mix.label).to.equal('POST /tasks/batch of 100 (measured)');
      expect(mix.apiRequestsPerTask).to.equal(0.01);
      expect(mix.functions).to.deep.equal({
        processTask: { invocationsPerTask: 0.2, meanDurationMs: 50 },
        submitTasks: { invocationsPerTask: 0.01, meanDurationMs: 500 },
      });
      expect(mix.deliveriesPerTask).to.equal(1.4);
    });

    it('names what a run submitted one task a request lacks', () => {
      expect(() => bulkMixFromCost(costSummary())).to.throw('no submitTasks invocations');
      expect(mixFromCost(costSummary()).label).to.equal('POST /tasks, one task a request (measured)');
    });
  });

  describe('npm run bench -- --capacity', () => {
    const runCapacity = (figures: unknown) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capacity-'));
      const file = path.join(dir, 'results.json');
      fs.writeFileSync(file, JSON.stringify(figures));
      try {
        return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/run.ts', '--capacity', '--figures', file], {
          cwd: ROOT,
          encoding: 'utf8',
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };

    it('prints the table and the verdict from the measured runs of a results.json, without the bench', () => {
      const out = runCapacity({ startedAt: '2026-12-02T00:00:00Z', quick: false, cost: { small: costSummary(), bulk: bulkCostSummary() } });

      expect(out.status, out.stderr).to.equal(0);
      expect(out.stdout).to.contain('POST /tasks, one task a request (measured), deployed defaults:');
      expect(out.stdout).to.contain('POST /tasks/batch of 100 (measured), knobs raised:');
      expect(out.stdout).to.match(/binds first: API Gateway usage plan quota \(per key, a day\) at 12 tasks\/s/);
      expect(out.stdout).to.contain('PASS  >= 10,000 tasks/s with documented knobs');
    });

    it('refuses figures without a measured bulk run, and says how to get them', () => {
      const out = runCapacity({ startedAt: '2026-12-01T00:00:00Z', cost: { small: costSummary() } });

      expect(out.status).to.equal(1);
      expect(out.stderr).to.contain('has no measured cost.bulk figures: run npm run bench -- --only cost first');
    });
  });
});
