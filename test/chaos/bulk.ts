import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { sleep } from '../../tools/poll';
import { postBatchEvent } from '../helpers/factories';
import type { SubmitOutcome } from './chaos';

/** Most tasks POST /tasks/batch takes in one request. */
const MAX_BATCH = 100;
/** Share of batches that carry items the API must refuse, and of finished batches the client sends again later. */
const INVALID_SHARE = 0.4;
export const REPEAT_SHARE = 0.3;

/** A task the chaos run submits through POST /tasks/batch. */
export interface BulkTask {
  taskId: string;
  payload: Record<string, unknown>;
  type?: string;
}

/** One item of a planned batch: a task to submit, or an item the API must answer 400. */
type PlannedItem =
  | { task: BulkTask }
  | {
      invalid: Record<string, unknown>;
      /** The field its first problem names, below `tasks[i]` (empty: the item itself). */
      field: string;
      /** Present when the item's taskId is valid: the result must carry it. */
      taskId?: string;
      /** Its taskId must never reach the table (false for a repeat of an earlier item's taskId). */
      foreign: boolean;
    };

export interface BatchPlan {
  name: string;
  items: PlannedItem[];
}

/** The n-th invalid item; `earlier` is a valid task before it in the batch, whose taskId it may repeat. */
function invalidItem(n: number, seed: number, earlier: BulkTask | undefined): PlannedItem {
  const taskId = `chaos-${seed}-invalid-${n}`;
  switch (n % 6) {
    case 0:
      return { invalid: { taskId }, field: 'payload', taskId, foreign: true };
    case 1:
      return { invalid: { taskId, payload: [1, 2] }, field: 'payload', taskId, foreign: true };
    case 2:
      return { invalid: { taskId, payload: { n }, type: 'noSuchType' }, field: 'type', taskId, foreign: true };
    case 3:
      return { invalid: { taskId: `bad id <${n}>`, payload: { n } }, field: 'taskId', foreign: true };
    case 4:
      return { invalid: { taskId, payload: { n }, delaySeconds: 901 }, field: 'delaySeconds', taskId, foreign: true };
    default:
      if (!earlier) return { invalid: { taskId }, field: 'payload', taskId, foreign: true };
      // Same taskId as an earlier item of this batch, another payload: refused, the first one stands.
      return { invalid: { taskId: earlier.taskId, payload: { other: n } }, field: 'taskId', taskId: earlier.taskId, foreign: false };
  }
}

/**
 * Cuts the tasks, in order, into batches of 1-100 (log-uniform: many small, a few large); some
 * batches get 1-3 invalid items at drawn positions. Every decision is a keyed draw.
 */
export function planBatches(tasks: readonly BulkTask[], draw: (key: string) => number, seed: number): BatchPlan[] {
  const plans: BatchPlan[] = [];
  let invalid = 0;
  for (let start = 0, n = 0; start < tasks.length; n++) {
    const size = Math.min(tasks.length - start, Math.round(MAX_BATCH ** draw(`bulk|size|${n}`)));
    const items: PlannedItem[] = tasks.slice(start, start + size).map((task) => ({ task }));
    start += size;
    if (draw(`bulk|invalid|${n}`) < INVALID_SHARE) {
      const count = 1 + Math.floor(draw(`bulk|invalidCount|${n}`) * 3);
      for (let k = 0; k < count && items.length < MAX_BATCH; k++) {
        const at = Math.floor(draw(`bulk|invalidAt|${n}|${k}`) * (items.length + 1));
        const earlier = items.slice(0, at).find((item): item is { task: BulkTask } => 'task' in item);
        items.splice(at, 0, invalidItem(invalid++, seed, earlier?.task));
      }
    }
    plans.push({ name: `batch ${n}`, items });
  }
  return plans;
}

/** The taskId of a plan's first task (every batch holds at least one). */
export function firstTaskId(plan: BatchPlan): string {
  for (const item of plan.items) if ('task' in item) return item.task.taskId;
  throw new Error(`${plan.name} holds no task`);
}

/** What the chaos client saw of POST /tasks/batch, for the report. */
export interface BulkStats {
  /** Distinct batches, and the requests sent: first sends, resends after a 503 item, repeats of a finished batch. */
  batches: number;
  requests: number;
  resends: number;
  repeats: number;
  tasks: number;
  invalidItems: number;
  /** How many item results had each status code, over every request. */
  itemStatuses: Record<string, number>;
  /** Answers that broke the contract (docs: POST /tasks/batch). */
  problems: string[];
}

interface ItemResult {
  index: number;
  taskId?: string;
  statusCode: number;
  task?: { taskId: string };
  error?: { code: string; details?: { field: string }[] };
}

/**
 * The chaos client of POST /tasks/batch. Sends a batch; while an item answered 503 it resends the
 * whole batch after Retry-After, on the same terms as the single-submit client (a share of the
 * clients retry, at most `maxRetries` times); checks every answer against the contract.
 */
export class BulkClient {
  readonly stats: BulkStats = {
    batches: 0,
    requests: 0,
    resends: 0,
    repeats: 0,
    tasks: 0,
    invalidItems: 0,
    itemStatuses: {},
    problems: [],
  };

  constructor(
    private readonly submit: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
    private readonly policy: { retryShare: number; maxRetries: number },
    private readonly draw: (key: string) => number,
  ) {}

  /** Sends `plan` (again when `repeat`), updating each task's outcome in `outcomes` (created on the first send). */
  async send(plan: BatchPlan, repeat: boolean, outcomes: Map<string, SubmitOutcome>): Promise<void> {
    if (repeat) this.stats.repeats += 1;
    else {
      this.stats.batches += 1;
      for (const item of plan.items) {
        if ('task' in item) {
          this.stats.tasks += 1;
          outcomes.set(item.task.taskId, { ...item.task, accepted: false, statuses: [], viaBatch: true });
        } else this.stats.invalidItems += 1;
      }
    }
    const body = JSON.stringify({ tasks: plan.items.map((item) => ('task' in item ? item.task : item.invalid)) });
    for (let tries = 1; ; tries++) {
      const response = await this.submit(postBatchEvent(body));
      this.stats.requests += 1;
      const retryable = this.check(plan, repeat, response, outcomes);
      const retry = retryable && tries <= this.policy.maxRetries && this.draw(`client|${plan.name}`) < this.policy.retryShare;
      if (!retry) return;
      this.stats.resends += 1;
      await sleep(Number(response.headers?.['Retry-After'] ?? 0.2) * 1000);
    }
  }

  /** Records each item's answer and checks it; whether some item answered 503 (sending again may finish it). */
  private check(plan: BatchPlan, repeat: boolean, response: APIGatewayProxyResult, outcomes: Map<string, SubmitOutcome>): boolean {
    const problem = (text: string) => this.stats.problems.push(`${plan.name}${repeat ? ' (repeated)' : ''}: ${text}`);
    if (response.statusCode !== 200) {
      problem(`HTTP ${response.statusCode}: ${response.body.slice(0, 200)}`);
      for (const item of plan.items) if ('task' in item) outcomes.get(item.task.taskId)!.statuses.push(response.statusCode);
      return response.statusCode >= 500;
    }
    const { results, counts } = JSON.parse(response.body) as { results: ItemResult[]; counts: Record<string, number> };
    if (results.length !== plan.items.length) problem(`${results.length} results for ${plan.items.length} items`);
    const counted: Record<string, number> = {};
    results.forEach((result, i) => {
      counted[result.statusCode] = (counted[result.statusCode] ?? 0) + 1;
      this.stats.itemStatuses[result.statusCode] = (this.stats.itemStatuses[result.statusCode] ?? 0) + 1;
      const item = plan.items[i];
      if (result.index !== i) problem(`result ${i} has index ${result.index}`);
      if (!item) return;
      if ('task' in item) {
        const outcome = outcomes.get(item.task.taskId)!;
        const { taskId } = item.task;
        if (result.statusCode === 202 && outcome.accepted) problem(`tasks[${i}] ${taskId}: 202 (created) after an earlier 2xx`);
        if (result.statusCode === 200 || result.statusCode === 202) {
          if (result.task?.taskId !== taskId || result.taskId !== taskId) problem(`tasks[${i}] ${taskId}: a 2xx for another task`);
          outcome.accepted = true;
        } else if (result.statusCode === 503) {
          if (!['ENQUEUE_FAILED', 'RECORD_FAILED'].includes(result.error?.code ?? ''))
            problem(`tasks[${i}] ${taskId}: 503 with code ${result.error?.code}`);
        } else problem(`tasks[${i}] ${taskId}: HTTP ${result.statusCode} ${result.error?.code ?? ''} for a valid task`);
        outcome.statuses.push(result.statusCode);
        return;
      }
      const field = item.field ? `tasks[${i}].${item.field}` : `tasks[${i}]`;
      if (result.statusCode !== 400 || result.error?.code !== 'VALIDATION_ERROR')
        problem(`tasks[${i}]: HTTP ${result.statusCode} ${result.error?.code ?? ''} for an invalid item (${JSON.stringify(item.invalid)})`);
      else if (result.error.details?.[0]?.field !== field)
        problem(`tasks[${i}]: the 400 names ${result.error.details?.[0]?.field}, expected ${field}`);
      if (result.taskId !== item.taskId) problem(`tasks[${i}]: taskId ${result.taskId} in the result, expected ${item.taskId}`);
    });
    const some503 = results.some((r) => r.statusCode === 503);
    if (JSON.stringify(Object.entries(counts).sort()) !== JSON.stringify(Object.entries(counted).sort()))
      problem(`counts ${JSON.stringify(counts)}, results say ${JSON.stringify(counted)}`);
    if (some503 !== (response.headers?.['Retry-After'] === '1'))
      problem(`Retry-After ${response.headers?.['Retry-After']} with ${some503 ? 'a' : 'no'} 503 item`);
    return some503;
  }

  /** The taskIds of invalid items that must never be recorded. */
  static foreignIds(plans: readonly BatchPlan[]): string[] {
    return plans.flatMap((plan) => plan.items.flatMap((item) => ('invalid' in item && item.foreign && item.taskId ? [item.taskId] : [])));
  }
}
