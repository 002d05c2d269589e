import { defineTaskType, PermanentError, type TaskType } from '../../lib/types/contract';

/** Task types of the chaos mix beside the default `simulated`: a permanent failure and a timeout. */
export function chaosTypes(): TaskType[] {
  return [
    defineTaskType({
      name: 'chaosRefuses',
      description: 'fails permanently on every attempt',
      policy: { maxAttempts: 3, baseSeconds: 1, timeoutSeconds: 0.5 },
      handle: () => {
        throw new PermanentError('chaos: refused for good');
      },
    }),
    defineTaskType({
      name: 'chaosSlow',
      description: 'runs past its timeout on attempt 1 (ignoring its signal), then succeeds',
      policy: { maxAttempts: 3, baseSeconds: 1, timeoutSeconds: 0.2 },
      handle: (_payload, ctx) =>
        ctx.attempt === 1 ? new Promise((resolve) => setTimeout(() => resolve({ late: true }), 400)) : { attempt: ctx.attempt },
    }),
  ];
}

/** The type of chaos task `index`: one in twenty refuses, one in twenty is slow, the rest are simulated. */
export function chaosTypeOf(index: number): string | undefined {
  if (index % 20 === 3) return 'chaosRefuses';
  if (index % 20 === 8) return 'chaosSlow';
  return undefined;
}

/** Whether the chaos client cancels task `index` right after submitting it (one in fifteen). */
export const cancelsTask = (index: number): boolean => index % 15 === 4;
