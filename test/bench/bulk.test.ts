import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BULK, bulkCost, bulkMix, entriesPerBatch } from '../../bench/bulk';
import { loadPrices } from '../../bench/priceTable';
import { costSummary, taskMix } from './factories';

const ROOT = path.join(__dirname, '..', '..');

describe('bench bulk path (POST /tasks/batch, modelled)', () => {
  const prices = loadPrices();

  describe('bulkCost', () => {
    it('divides the API and submit requests by 100 and batches the first attempt 10 to a call (hand-computed)', () => {
      const bulk = bulkCost(costSummary(), prices);

      expect(bulk.perTask.apiRequests).to.equal(0.01);
      // 1.2 invocations a task, of which 1 submit becomes 1/100.
      expect(bulk.perTask.lambdaInvocations).to.be.closeTo(0.21, 1e-12);
      // submitBatch: 100 x 10 ms = 1 s at 256 MB = 0.25 GB-s a batch, 0.0025 a task: as the single submits' 2.5 / 1,000.
      expect(bulk.submitBatchDurationMs).to.equal(1000);
      expect(bulk.perTask.lambdaGbSeconds).to.be.closeTo(0.003, 1e-12);
      // 10 messages of 1,200 B in one call: one 64 KB chunk for 10 tasks; retries stay single (0.4).
      expect(bulk.entriesPerSendBatch).to.equal(10);
      expect(bulk.perTask.sqsBilledRequests).to.be.closeTo(0.5, 1e-12);
      expect(bulk.usdPerMillion.apiGateway).to.be.closeTo(0.035, 1e-12);
      expect(bulk.usdPerMillion.sqs).to.be.closeTo(0.2, 1e-12);
      expect(bulk.usdPerMillion.dynamoDbWrites).to.equal(5);
      expect(bulk.usdPerMillion.total).to.be.closeTo(0.035 + 0.042 + 0.003 * 1e6 * prices.lambda.arm64GbSecond + 0.2 + 5, 1e-9);
    });

    it('bills a batch of large messages by the 64 KB chunks of the whole call', () => {
      const single = costSummary();
      single.sqsRows[0] = { ...single.sqsRows[0], payloadPerCall: 65_766, billed: 2800 };
      single.perTask.sqsBilledRequests = 2.8;

      const bulk = bulkCost(single, prices);

      // 2 requests a message alone; 10 in one call are 657,660 B: 11 chunks, 1.1 a task.
      expect(bulk.perTask.sqsBilledRequests).to.be.closeTo(2.8 - 2 + 1.1, 1e-12);
    });

    it("takes submitBatch's duration factor from the assumptions", () => {
      const bulk = bulkCost(costSummary(), prices, { ...BULK, durationFactor: 0.5 });

      expect(bulk.submitBatchDurationMs).to.equal(500);
      expect(bulk.perTask.lambdaGbSeconds).to.be.closeTo(0.003 - 0.0025 + 0.00125, 1e-12);
    });

    it('says what the run lacks when it has no submits', () => {
      expect(() => bulkCost(costSummary({ lambda: [] }), prices)).to.throw('no submitTask invocations');
    });
  });

  it('fits fewer than 10 messages to a batch call when 10 would pass 1 MiB', () => {
    expect(entriesPerBatch(1200, 10)).to.equal(10);
    expect(entriesPerBatch(200_000, 10)).to.equal(5);
    expect(entriesPerBatch(2_000_000, 10)).to.equal(1);
  });

  it("bulkMix replaces submitTask's load by submitBatch's and keeps the rest", () => {
    const mix = bulkMix(taskMix());

    expect(mix.apiRequestsPerTask).to.equal(0.01);
    expect(mix.functions).to.deep.equal({
      submitBatch: { invocationsPerTask: 0.01, meanDurationMs: 1000 },
      processTask: { invocationsPerTask: 0.2, meanDurationMs: 50 },
    });
    expect(mix.tableWcuPerTask).to.equal(5);
  });

  it('npm run bench -- --capacity prints the table and the verdict from a results.json, without the bench', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capacity-'));
    const figures = path.join(dir, 'results.json');
    fs.writeFileSync(figures, JSON.stringify({ startedAt: '2026-12-02T00:00:00Z', quick: false, cost: { small: costSummary() } }));
    try {
      const out = execFileSync(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'bench/run.ts', '--capacity', '--figures', figures],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );

      expect(out).to.contain('POST /tasks, one task a request (measured), deployed defaults:');
      expect(out).to.contain('POST /tasks/batch of 100 (modelled), knobs raised:');
      expect(out).to.match(/binds first: API Gateway usage plan quota \(per key, a day\) at 12 tasks\/s/);
      expect(out).to.contain('PASS  >= 10,000 tasks/s with documented knobs');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
