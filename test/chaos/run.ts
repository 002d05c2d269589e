import { chaosOptionsFromEnv, formatReport, runChaos } from './chaos';

/**
 * npm run test:chaos: the full fault-injection run. Prints the seed first, then the report
 * table; exits 1 on any problem (2 if the run itself broke).
 *
 * CHAOS_TASKS (1000), CHAOS_SEED (random), CHAOS_FAULT_RATE (0.05 of DynamoDB and SQS calls),
 * CHAOS_CRASH_RATE (0.02 per processor step), CHAOS_MONITOR_FAILURE_RATE (0.25),
 * CHAOS_SUBMIT_FAILURE_RATE (0.1), CHAOS_DUPLICATES (true), CHAOS_DRAIN_TIMEOUT_MS (120000),
 * CHAOS_VERBOSE=1 (lists the tasks the reconciler rescued and the faults that had hit them).
 *
 * A seed replays the payloads, the fault plan (each decision is keyed by operation, task and
 * occurrence) and the sequence of work draws; which task receives which work draw follows the
 * scheduling of concurrent batches, so a replay reproduces the conditions, not every interleaving.
 */
async function main(): Promise<number> {
  const options = chaosOptionsFromEnv(process.env);
  console.log(`chaos seed ${options.seed} (replay: CHAOS_SEED=${options.seed} npm run test:chaos), ${options.tasks} tasks`);
  console.log(
    `faults: DynamoDB ${options.rates.dynamoDb}, SQS ${options.rates.sqs} of calls; processor crash ${options.rates.processorCrash} per step; ` +
      `monitor write ${options.rates.monitorWrite}; submit send ${options.rates.submitSend}; every message sent twice: ${options.rates.duplicateEverySend}`,
  );
  const startedAt = Date.now();
  const report = await runChaos(options, (line) => console.log(line));
  console.log(formatReport(report));
  console.log(`total time, with server start-up and the settle of leftover duplicates: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  if (process.env.CHAOS_VERBOSE === '1') {
    console.log('\nTasks the reconciler rescued, with the faults that had hit them:');
    for (const rescue of report.rescues)
      console.log(`  ${rescue.taskId} (${rescue.status}): ${rescue.faults.filter((f) => !f.startsWith('sqs.duplicateSend')).join('; ')}`);
  }
  if (report.problems.length > 0) {
    console.log(`\nFAILED: ${report.problems.length} problem(s) (seed ${report.seed}):`);
    for (const problem of report.problems) console.log(`  - ${problem}`);
    return 1;
  }
  console.log(`\nOK: no task lost or stuck, every history consistent (seed ${report.seed})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
