/**
 * The console's API client: the CLI's typed client (cli/client.ts, the same errors and
 * routes), plus what only the console needs: submitting from a form or many at once,
 * reading the API's description.
 */
import { z } from 'zod';
import { TasksClient, type ClientOptions, type TaskView } from '../../cli/client';
import { TaskViewSchema } from '../../lib/domain/task';

export {
  ApiError,
  AuthError,
  ConflictError,
  ConnectionError,
  InvalidInputError,
  NotThisApiError,
  TaskNotFoundError,
} from '../../cli/client';
export type { TaskPage, TaskSummary } from '../../cli/client';

/** A task as GET shows it. */
export type ConsoleTask = TaskView & { payload?: unknown };

export interface SubmitBody {
  taskId: string;
  payload: unknown;
  type?: string;
  delaySeconds?: number;
}

/** One item's answer in a POST /tasks/batch response: its task (200, 202) or its error. */
const BatchResultSchema = z.object({
  index: z.number().int().nonnegative(),
  taskId: z.string().optional(),
  statusCode: z.number().int(),
  task: TaskViewSchema.optional(),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
});
export type BatchResult = z.infer<typeof BatchResultSchema>;

/** The 200 of POST /tasks/batch: one result per task, in request order, and how many got each status. */
const BatchResponseSchema = z.object({ results: z.array(BatchResultSchema), counts: z.record(z.string(), z.number()) });
export type BatchResponse = z.infer<typeof BatchResponseSchema>;

/** Most tasks one POST /tasks/batch takes. */
export const BATCH_LIMIT = 100;

export class ConsoleClient extends TasksClient {
  constructor(options: ClientOptions) {
    // The window's fetch, called as a function: as a method of the client, browsers refuse it (Illegal invocation).
    super({ timeoutMs: 15_000, fetch: (input, init) => fetch(input, init), ...options });
  }

  /** POST /tasks with every field given: `created` is true for 202, false for 200. */
  async submitTask(body: SubmitBody): Promise<{ created: boolean; task: ConsoleTask }> {
    const { type, delaySeconds } = body;
    return this.submit(body.taskId, body.payload, { ...(type ? { type } : {}), ...(delaySeconds !== undefined ? { delaySeconds } : {}) });
  }

  /** POST /tasks/batch with 1 to BATCH_LIMIT tasks, each sent as given: the per-task results, a missing one left to the caller (the CLI client's submitBatch throws). */
  async submitMany(tasks: readonly unknown[]): Promise<BatchResponse> {
    return (await this.request('POST', '/tasks/batch', BatchResponseSchema, { tasks })).body;
  }

  /** GET /tasks/{taskId}, with whatever fields the API adds. */
  async task(taskId: string): Promise<ConsoleTask> {
    return this.get(taskId);
  }

  /** GET /openapi.json (no key), or undefined when it cannot be read. */
  async description(): Promise<unknown> {
    try {
      const response = await fetch(`${this.baseUrl}/openapi.json`, { headers: { accept: 'application/json' } });
      return response.ok ? await response.json() : undefined;
    } catch {
      return undefined;
    }
  }
}
