/** Characters allowed in a taskId: letters, digits and - _ . : (1 to 128 of them), but not `.` or `..`. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const MAX_TASK_ID_LENGTH = 128;
/** The one taskId refused for its path: /tasks/batch is POST /tasks/batch. */
export const RESERVED_TASK_ID = 'batch';

/** The JSON type of a value, as error messages name it. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Returns a problem with a taskId, or undefined when it is valid. */
export function taskIdProblem(taskId: unknown): string | undefined {
  if (typeof taskId !== 'string') return `must be a string, got ${describeType(taskId)}`;
  if (taskId.length === 0) return 'must not be empty';
  if (taskId.length > MAX_TASK_ID_LENGTH) return `must be at most ${MAX_TASK_ID_LENGTH} characters, got ${taskId.length}`;
  if (!TASK_ID_PATTERN.test(taskId)) return 'may contain only letters, digits and - _ . :';
  // URLs normalise these path segments away: /tasks/.. could never be read back.
  if (taskId === '.' || taskId === '..') return `must not be '${taskId}' (a URL path segment that clients and gateways remove)`;
  // POST /tasks/batch is the bulk submit route: a task with this id could be submitted but never read back.
  if (taskId === RESERVED_TASK_ID)
    return `must not be '${RESERVED_TASK_ID}' (reserved: /tasks/${RESERVED_TASK_ID} is the bulk submit route)`;
  return undefined;
}
