/**
 * Visibility timeout of each SQS-triggered function's queue, by function name, for
 * `${file(./deploy/visibilityTimeout.js):<function>}` in serverless.yml. AWS's guidance is
 * at least 6 x the function's timeout plus the event source's maximumBatchingWindow, so the
 * value is derived from the function's own settings and cannot drift from them.
 */
module.exports = async ({ resolveVariable }) => {
  const functions = await resolveVariable('self:functions');
  const defaultTimeout = await resolveVariable('self:provider.timeout');
  const timeouts = {};
  for (const [name, fn] of Object.entries(functions)) {
    const sqsEvents = (fn.events || []).filter((event) => event?.sqs);
    if (sqsEvents.length === 0) continue;
    const timeout = Number(fn.timeout !== undefined ? fn.timeout : defaultTimeout);
    const window = Math.max(...sqsEvents.map((event) => Number(event.sqs.maximumBatchingWindow || 0)));
    if (!Number.isInteger(timeout) || !Number.isInteger(window)) {
      throw new Error(`function ${name}: timeout ${timeout} and maximumBatchingWindow ${window} must be integers`);
    }
    timeouts[name] = 6 * timeout + window;
  }
  return timeouts;
};
