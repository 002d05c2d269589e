/**
 * The console's API client: the CLI's typed client (cli/client.ts, the same errors and
 * routes), plus what only the console needs: submitting from a form, reading the API's description.
 */
import { TasksClient, type ClientOptions, type TaskView } from '../../cli/client';

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
}

export class ConsoleClient extends TasksClient {
  constructor(options: ClientOptions) {
    // The window's fetch, called as a function: as a method of the client, browsers refuse it (Illegal invocation).
    super({ timeoutMs: 15_000, fetch: (input, init) => fetch(input, init), ...options });
  }

  /** POST /tasks with every field given: `created` is true for 202, false for 200. */
  async submitTask(body: SubmitBody): Promise<{ created: boolean; task: ConsoleTask }> {
    return this.submit(body.taskId, body.payload, body.type ? { type: body.type } : {});
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
