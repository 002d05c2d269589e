import { expect } from 'chai';
import { chaosOptionsFromEnv, DEFAULT_OPTIONS, formatReport, runChaos, type ChaosReport } from './chaos';

/** The short run of the fault-injection suite (npm run test:chaos runs the full one). */
describe('chaos: 150 tasks (edge characters, emoji) through the real handlers with injected faults and paused servers (fixed seed)', function () {
  // Servers start in ~10 s; the run takes ~40 s on 2 idle cores, over a minute on busy ones.
  this.timeout(180_000);
  let report: ChaosReport;

  before(async function () {
    // Only ~5 of 150 tasks reach the DLQ: a higher monitor failure rate makes sure its faults happen.
    const options = chaosOptionsFromEnv(
      { CHAOS_SEED: process.env.CHAOS_SEED },
      {
        ...DEFAULT_OPTIONS,
        tasks: 150,
        seed: 20260101,
        // ~15 SendMessageBatch calls in the run: a higher batch rate makes sure whole and partial failures happen.
        rates: { ...DEFAULT_OPTIONS.rates, monitorWrite: 0.5, sqsBatch: 0.25 },
        // The DLQ's 4 s visibility makes each failed monitor write wait 4 s; on 2 busy cores that adds up.
        drainTimeoutMs: 90_000,
        settleTimeoutMs: 3000,
      },
    );
    console.log(`      chaos seed ${options.seed} (replay: CHAOS_SEED=${options.seed} npx mocha test/chaos/chaos.test.ts)`);
    report = await runChaos(options);
    console.log(formatReport(report).replace(/^/gm, '      '));
  });

  it('injects faults at every site: DynamoDB, SQS, duplicates, processor crashes, monitor writes, submit sends, paused servers', () => {
    const kinds = Object.keys(report.faults);
    expect(
      kinds.filter((k) => k.startsWith('dynamodb.')),
      'DynamoDB fault kinds',
    ).to.have.length.of.at.least(3);
    for (const site of ['sqs.', 'sqs.duplicateSend', 'processor.', 'monitor.', 'submit.sendFailed', 'servers.paused']) {
      expect(
        kinds.some((k) => k.startsWith(site)),
        `a fault at ${site}`,
      ).to.equal(true);
    }
  });

  it('fails SendMessageBatch calls whole and single entries of them (Failed, SenderFault false), and entries at submit', () => {
    const kinds = Object.keys(report.faults);
    expect(
      kinds.filter((k) => k.startsWith('sqs.batch.') && k !== 'sqs.batch.entryFailed'),
      'whole SendMessageBatch calls failed',
    ).to.not.deep.equal([]);
    expect(report.faults['sqs.batch.entryFailed'], 'entries SQS reported Failed').to.be.greaterThan(0);
    expect(report.faults['submit.batchEntryFailed'], 'batch entries failed after every retry (503)').to.be.greaterThan(0);
  });

  it('submits a third of the tasks in batches of mixed size, with invalid items, resends after a 503 and repeats', () => {
    const { bulk } = report;
    expect(bulk.tasks, 'tasks submitted in batches').to.be.within(report.submitted / 5, report.submitted / 2);
    expect(bulk.batches, 'batches').to.be.greaterThan(2);
    expect(bulk.invalidItems, 'invalid items').to.be.greaterThan(0);
    expect(bulk.itemStatuses['400'], 'items answered 400').to.be.at.least(bulk.invalidItems);
    expect(bulk.itemStatuses['503'], 'items answered 503').to.be.greaterThan(0);
    expect(bulk.resends, 'batches sent again after a 503 item').to.be.greaterThan(0);
    expect(bulk.repeats, 'finished batches sent again').to.be.greaterThan(0);
  });

  it('loses no accepted task and leaves none stuck', () => {
    expect(report.lost).to.deep.equal([]);
    expect(report.stuck).to.deep.equal([]);
    expect(report.drained).to.equal(true);
    expect(report.succeeded + report.failed + report.cancelled).to.equal(report.accepted + report.abandonedButRecorded);
  });

  it('ends permanent failures after one attempt, retries attempts that timed out, and honours every cancel it answered 200', () => {
    expect(report.permanent.failed, 'chaosRefuses tasks that reached FAILED').to.be.greaterThan(0);
    expect(report.permanent.afterOneAttempt).to.equal(report.permanent.failed);
    expect(report.timeouts.attempts, 'attempts that ran past their timeout').to.be.greaterThan(0);
    expect(report.timeouts.slowSucceeded, 'slow tasks that succeeded on a later attempt').to.be.greaterThan(0);
    expect(report.cancels.accepted, 'cancels answered 200').to.be.greaterThan(0);
    expect(report.cancels.notCancelled).to.deep.equal([]);
    expect(report.cancelled).to.be.at.least(report.cancels.accepted);
  });

  it('never runs a task more than 3 times', () => {
    expect(report.maxAttempts, 'highest attempt number seen').to.be.at.most(3);
  });

  it('logs every FAILED task exactly once from the monitor, with its payload and error', () => {
    expect(report.failed, 'tasks that reached FAILED (else this check is empty)').to.be.greaterThan(0);
    expect(report.failedLoggedOnce, 'FAILED tasks with exactly one TASK_FAILED line carrying their payload and error').to.equal(
      report.failed,
    );
  });

  it('keeps every history a valid path of the state machine, consistent with the status', () => {
    expect(report.historiesConsistent, 'histories that are valid paths of the state machine').to.equal(report.historiesChecked);
  });

  it('absorbs the duplicate deliveries', () => {
    expect(report.duplicatesAbsorbed.deliveryIgnored).to.be.greaterThan(0);
  });

  it('finds no other problem', () => {
    expect(report.problems, report.problems.join('\n')).to.deep.equal([]);
  });
});
