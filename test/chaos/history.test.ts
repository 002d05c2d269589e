import { expect } from 'chai';
import type { TaskEvent, TaskEventType, TaskState } from '../../lib/domain/task';
import { historyProblems } from './history';

const error = { name: 'SimulatedFailure', message: 'simulated work failed' };

/** A task whose history is the given [type, attempt] steps and whose state agrees with the last one. */
function taskWith(steps: [TaskEventType, number][], overrides: Partial<TaskState> = {}): TaskState {
  const history: TaskEvent[] = steps.map(([type, attempt], i) => ({
    type,
    attempt,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    ...(['RETRY_SCHEDULED', 'DEAD_LETTERED', 'FAILED'].includes(type) ? { error } : {}),
  }));
  const claims = steps.filter(([type]) => type === 'PROCESSING');
  return {
    taskId: 't-1',
    type: 'simulated',
    status: steps.at(-1)![0] as TaskState['status'],
    attempts: claims.length ? claims.at(-1)![1] : 0,
    maxAttempts: 3,
    payloadHash: 'h',
    correlationId: 'c',
    createdAt: history[0].at,
    updatedAt: history.at(-1)!.at,
    history,
    ...overrides,
  };
}

describe('chaos history checker', () => {
  describe('accepts the paths the state machine allows', () => {
    const valid: Record<string, [TaskEventType, number][]> = {
      'success on the first attempt': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['SUCCEEDED', 1],
      ],
      'two retries then success': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['RETRY_SCHEDULED', 1],
        ['PROCESSING', 2],
        ['RETRY_SCHEDULED', 2],
        ['PROCESSING', 3],
        ['SUCCEEDED', 3],
      ],
      'a re-claim after an expired lease': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['PROCESSING', 1],
        ['SUCCEEDED', 1],
      ],
      'the explicit DLQ path': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['RETRY_SCHEDULED', 1],
        ['PROCESSING', 2],
        ['RETRY_SCHEDULED', 2],
        ['PROCESSING', 3],
        ['DEAD_LETTERED', 3],
        ['FAILED', 3],
      ],
      'RedrivePolicy while QUEUED (attempt 1 never claimed)': [
        ['QUEUED', 0],
        ['FAILED', 1],
      ],
      'RedrivePolicy while RETRY_SCHEDULED': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['RETRY_SCHEDULED', 1],
        ['FAILED', 2],
      ],
      'RedrivePolicy while PROCESSING': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['FAILED', 1],
      ],
      'a redrive and a new run': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['FAILED', 1],
        ['REDRIVEN', 0],
        ['PROCESSING', 1],
        ['SUCCEEDED', 1],
      ],
      'cancelled while queued': [
        ['QUEUED', 0],
        ['CANCELLED', 0],
      ],
      'cancelled while waiting for a retry, redriven, then success': [
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['RETRY_SCHEDULED', 1],
        ['CANCELLED', 1],
        ['REDRIVEN', 0],
        ['PROCESSING', 1],
        ['SUCCEEDED', 1],
      ],
    };
    for (const [name, steps] of Object.entries(valid)) {
      it(name, () => {
        expect(historyProblems(taskWith(steps), 3)).to.deep.equal([]);
      });
    }

    it('a permanent failure dead-lettered on the first attempt', () => {
      const task = taskWith([
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['DEAD_LETTERED', 1],
        ['FAILED', 1],
      ]);
      task.history[2].permanent = true;
      expect(historyProblems(task, 3)).to.deep.equal([]);
    });
  });

  describe('reports what the state machine forbids', () => {
    const invalid: Record<string, [[TaskEventType, number][], RegExp]> = {
      'a skipped attempt': [
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['RETRY_SCHEDULED', 1],
          ['PROCESSING', 3],
          ['SUCCEEDED', 3],
        ],
        /must be attempt 2/,
      ],
      'an outcome without a claim': [
        [
          ['QUEUED', 0],
          ['SUCCEEDED', 0],
        ],
        /only a PROCESSING task records an outcome/,
      ],
      'a claim after SUCCEEDED': [
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['SUCCEEDED', 1],
          ['PROCESSING', 2],
        ],
        /cannot claim from SUCCEEDED/,
      ],
      'FAILED twice': [
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['FAILED', 1],
          ['FAILED', 1],
        ],
        /cannot fail from FAILED|FAILED 2 times/,
      ],
      'a retry after the last attempt': [
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['RETRY_SCHEDULED', 1],
          ['PROCESSING', 2],
          ['RETRY_SCHEDULED', 2],
          ['PROCESSING', 3],
          ['RETRY_SCHEDULED', 3],
        ],
        /retry scheduled after the last attempt/,
      ],
      'dead-lettered early': [
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['DEAD_LETTERED', 1],
        ],
        /dead-lettered before the last attempt/,
      ],
      'a cancel while an attempt runs': [
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['CANCELLED', 1],
        ],
        /cannot cancel from PROCESSING/,
      ],
      'a claim after CANCELLED': [
        [
          ['QUEUED', 0],
          ['CANCELLED', 0],
          ['PROCESSING', 1],
        ],
        /cannot claim from CANCELLED/,
      ],
      'a fourth attempt': [
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['RETRY_SCHEDULED', 1],
          ['PROCESSING', 2],
          ['RETRY_SCHEDULED', 2],
          ['PROCESSING', 3],
          ['PROCESSING', 4],
        ],
        /attempt above 3/,
      ],
    };
    for (const [name, [steps, problem]] of Object.entries(invalid)) {
      it(name, () => {
        expect(historyProblems(taskWith(steps), 3).join('\n')).to.match(problem);
      });
    }

    it('a status that is not the last event', () => {
      const task = taskWith(
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['SUCCEEDED', 1],
        ],
        { status: 'FAILED' },
      );

      expect(historyProblems(task, 3).join('\n')).to.match(/status FAILED but the last event says SUCCEEDED/);
    });

    it('an attempts count the history does not show', () => {
      const task = taskWith(
        [
          ['QUEUED', 0],
          ['PROCESSING', 1],
          ['SUCCEEDED', 1],
        ],
        { attempts: 2 },
      );

      expect(historyProblems(task, 3).join('\n')).to.match(/attempts 2 but the history claimed attempt 1 last/);
    });

    it('a failure without an error', () => {
      const task = taskWith([
        ['QUEUED', 0],
        ['PROCESSING', 1],
        ['RETRY_SCHEDULED', 1],
      ]);
      delete task.history[2].error;

      expect(historyProblems(task, 3).join('\n')).to.match(/no error recorded/);
    });
  });
});
