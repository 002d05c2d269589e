import { httpHandler } from '../lib/lambda/httpHandler';
import { errorStatus, INTERNAL_ERROR, isRetryable, jsonResponse } from '../lib/lambda/http';
import { defaultDeps } from '../lib/runtime';
import { type BatchItemResult, submitBatch } from '../lib/app/submitBatch';
import { toTaskView } from '../lib/domain/task';
import { correlationIdOf, parseBatchRequest } from '../lib/lambda/validation';

/** One task's entry of the response: its status code as POST /tasks would answer, and the task or the error. */
function resultOf(outcome: BatchItemResult) {
  const head = { index: outcome.index, ...(outcome.taskId !== undefined ? { taskId: outcome.taskId } : {}) };
  if ('task' in outcome) return { ...head, statusCode: outcome.created ? 202 : 200, task: toTaskView(outcome.task) };
  // submitBatch reports only errors raised on purpose; the fallback reveals nothing.
  const { statusCode, body } = errorStatus(outcome.error) ?? { statusCode: 500, body: INTERNAL_ERROR };
  return { ...head, statusCode, ...body };
}

/**
 * POST /tasks/batch: 1-100 tasks, each submitted as POST /tasks would submit it. 200 with one
 * result per task in request order and the count of each status code; `Retry-After: 1` when
 * sending the same batch again would finish some task. A malformed envelope is a 4xx for the
 * whole request and writes nothing.
 */
export const createHandler = (getDeps = defaultDeps) =>
  httpHandler(async (event, deps) => {
    const items = parseBatchRequest(event, deps.config.maxBodyBytes, deps.types);
    const correlationId = correlationIdOf(event);
    const outcomes = await submitBatch(items, correlationId, deps);
    const results = outcomes.map(resultOf);
    const counts: Record<string, number> = {};
    for (const { statusCode } of results) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
    const retry = outcomes.some((o) => 'error' in o && isRetryable(o.error));
    deps.log.info('BATCH_SUBMITTED', { tasks: results.length, counts, ...(correlationId ? { correlationId } : {}) });
    return jsonResponse(
      200,
      { results, counts },
      { ...(retry ? { 'Retry-After': '1' } : {}), ...(correlationId ? { 'X-Correlation-Id': correlationId } : {}) },
    );
  }, getDeps);

export const handler = createHandler();
