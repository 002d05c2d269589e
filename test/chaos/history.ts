import type { TaskEvent, TaskState, TaskStatus } from '../../lib/domain/task';

/**
 * Checks that a task's audit history is a path the state machine allows and that it agrees
 * with the state item: QUEUED → PROCESSING → (RETRY_SCHEDULED → PROCESSING)* →
 * SUCCEEDED | DEAD_LETTERED → FAILED, with re-claims (PROCESSING → PROCESSING, same attempt)
 * after an expired lease, and FAILED straight from QUEUED / RETRY_SCHEDULED / PROCESSING when
 * SQS's RedrivePolicy moved the awaited message to the DLQ, DEAD_LETTERED before the last attempt
 * only for a permanent failure, CANCELLED from QUEUED or RETRY_SCHEDULED, and REDRIVEN from
 * FAILED or CANCELLED. Returns the problems found (none: consistent).
 */
export function historyProblems(task: TaskState, maxAttempts: number = task.maxAttempts): string[] {
  const problems: string[] = [];
  const history: TaskEvent[] = task.history ?? [];
  if (history.length === 0) return ['history is empty'];
  if (history[0].type !== 'QUEUED' || history[0].attempt !== 0)
    problems.push(`starts with ${history[0].type} (attempt ${history[0].attempt}), not QUEUED (attempt 0)`);

  let status: TaskStatus = 'QUEUED';
  let attempts = 0;
  let lastAttempt = 0;
  let failedCount = 0;
  for (let i = 1; i < history.length; i += 1) {
    const event = history[i];
    const where = `event ${i} (${status} → ${event.type}, attempt ${event.attempt})`;
    if (event.attempt < lastAttempt && event.type !== 'REDRIVEN') problems.push(`${where}: attempt went down from ${lastAttempt}`);
    if (event.attempt > maxAttempts) problems.push(`${where}: attempt above ${maxAttempts}`);
    switch (event.type) {
      case 'PROCESSING':
        if (status === 'QUEUED' || status === 'RETRY_SCHEDULED') {
          if (event.attempt !== attempts + 1) problems.push(`${where}: a claim from ${status} must be attempt ${attempts + 1}`);
        } else if (status === 'PROCESSING') {
          if (event.attempt !== attempts) problems.push(`${where}: a re-claim after an expired lease must keep attempt ${attempts}`);
        } else problems.push(`${where}: cannot claim from ${status}`);
        attempts = event.attempt;
        break;
      case 'SUCCEEDED':
      case 'RETRY_SCHEDULED':
      case 'DEAD_LETTERED':
        if (status !== 'PROCESSING') problems.push(`${where}: only a PROCESSING task records an outcome`);
        if (event.attempt !== attempts) problems.push(`${where}: the outcome belongs to attempt ${attempts}`);
        if (event.type === 'RETRY_SCHEDULED' && attempts >= maxAttempts) problems.push(`${where}: retry scheduled after the last attempt`);
        if (event.type === 'DEAD_LETTERED' && attempts !== maxAttempts && !event.permanent)
          problems.push(`${where}: dead-lettered before the last attempt, and not permanently`);
        if (event.type !== 'SUCCEEDED' && !event.error) problems.push(`${where}: no error recorded`);
        break;
      case 'FAILED': {
        failedCount += 1;
        // DEAD_LETTERED and PROCESSING wait on the current attempt; QUEUED and RETRY_SCHEDULED on the next one.
        const expected = status === 'DEAD_LETTERED' || status === 'PROCESSING' ? attempts : attempts + 1;
        if (!['DEAD_LETTERED', 'QUEUED', 'RETRY_SCHEDULED', 'PROCESSING'].includes(status))
          problems.push(`${where}: cannot fail from ${status}`);
        else if (event.attempt !== expected) problems.push(`${where}: FAILED from ${status} belongs to attempt ${expected}`);
        if (!event.error?.message) problems.push(`${where}: no error recorded`);
        break;
      }
      case 'CANCELLED':
        if (status !== 'QUEUED' && status !== 'RETRY_SCHEDULED') problems.push(`${where}: cannot cancel from ${status}`);
        else if (event.attempt !== attempts) problems.push(`${where}: a cancel records the attempts so far (${attempts})`);
        break;
      case 'REDRIVEN':
        if (status !== 'FAILED' && status !== 'CANCELLED') problems.push(`${where}: only a FAILED or CANCELLED task is redriven`);
        attempts = 0;
        failedCount = 0;
        lastAttempt = 0;
        status = 'QUEUED';
        continue;
      case 'QUEUED':
        problems.push(`${where}: QUEUED only starts a history`);
        break;
    }
    status = event.type as TaskStatus;
    lastAttempt = event.attempt;
  }

  if (failedCount > 1) problems.push(`FAILED ${failedCount} times`);
  if (task.status !== status) problems.push(`status ${task.status} but the last event says ${status}`);
  if (task.attempts !== attempts) problems.push(`attempts ${task.attempts} but the history claimed attempt ${attempts} last`);
  if (task.attempts > maxAttempts) problems.push(`attempts ${task.attempts} above ${maxAttempts}`);
  return problems;
}
