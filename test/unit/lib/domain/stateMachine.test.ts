import { expect } from 'chai';
import {
  applyTransition,
  claim,
  deadLetter,
  failDeadLettered,
  failRedriven,
  matchesGate,
  redrive,
  scheduleRetry,
  succeed,
  type Transition,
} from '../../../../lib/domain/stateMachine';
import type { TaskError, TaskState, TaskStatus } from '../../../../lib/domain/task';
import { taskState } from '../../../helpers/factories';

const T0 = '2026-01-01T00:00:00.000Z';
const NOW = new Date('2026-01-01T00:01:00.000Z');
const LEASE_SECONDS = 30;
const ERROR: TaskError = { name: 'SimulatedFailure', message: 'simulated work failed' };
const REDRIVE_ERROR: TaskError = { name: 'RedrivePolicy', message: 'SQS moved the message to the DLQ' };

/** A task in PROCESSING for `attempt`, held by lease `leaseId` until `leaseUntil`. */
function processing(
  attempt: number,
  leaseId = 'lease-a',
  leaseUntil = '2026-01-01T00:01:20.000Z',
  overrides: Partial<TaskState> = {},
): TaskState {
  return taskState({
    status: 'PROCESSING',
    attempts: attempt,
    leaseId,
    leaseUntil,
    history: [
      { type: 'QUEUED', at: T0, attempt: 0 },
      { type: 'PROCESSING', at: T0, attempt },
    ],
    ...overrides,
  });
}

/** A task waiting for its retry after `failedAttempt` failed. */
function retryScheduled(failedAttempt: number, overrides: Partial<TaskState> = {}): TaskState {
  return taskState({
    status: 'RETRY_SCHEDULED',
    attempts: failedAttempt,
    lastError: ERROR,
    nextAttemptAt: '2026-01-01T00:00:40.000Z',
    ...overrides,
  });
}

/** Applies t and fails the test when it is refused. */
function applied(task: TaskState, t: Transition): TaskState {
  const next = applyTransition(task, t);
  expect(next, `transition to ${t.to} was refused from ${task.status}`).not.to.equal(undefined);
  return next!;
}

describe('stateMachine', () => {
  describe('matchesGate', () => {
    it('matches on status alone when the gate names nothing else', () => {
      const matches = matchesGate(taskState({ status: 'QUEUED', attempts: 0 }), { status: 'QUEUED' });

      expect(matches).to.equal(true);
    });

    it('does not match another status', () => {
      const matches = matchesGate(taskState({ status: 'QUEUED' }), { status: 'PROCESSING' });

      expect(matches).to.equal(false);
    });

    it('does not match another attempt count', () => {
      const matches = matchesGate(taskState({ status: 'RETRY_SCHEDULED', attempts: 2 }), { status: 'RETRY_SCHEDULED', attempts: 1 });

      expect(matches).to.equal(false);
    });

    it('does not match another lease holder', () => {
      const matches = matchesGate(processing(1, 'lease-a'), { status: 'PROCESSING', attempts: 1, leaseId: 'lease-b' });

      expect(matches).to.equal(false);
    });

    it('matches an expired lease only when leaseUntil is strictly before the given instant', () => {
      const gate = { status: 'PROCESSING' as const, leaseExpiredBefore: '2026-01-01T00:01:00.000Z' };

      const results = ['2026-01-01T00:00:59.999Z', '2026-01-01T00:01:00.000Z', '2026-01-01T00:01:00.001Z'].map((leaseUntil) =>
        matchesGate(processing(1, 'lease-a', leaseUntil), gate),
      );

      expect(results).to.deep.equal([true, false, false]);
    });

    it('does not treat a task without any lease as having an expired one', () => {
      const matches = matchesGate(taskState({ status: 'PROCESSING', attempts: 1 }), {
        status: 'PROCESSING',
        leaseExpiredBefore: NOW.toISOString(),
      });

      expect(matches).to.equal(false);
    });
  });

  describe('claim', () => {
    it('claims a QUEUED task for attempt 1: PROCESSING, attempts 1, a lease until now + leaseSeconds', () => {
      const task = taskState();

      const next = applied(task, claim('task-1', 1, NOW, LEASE_SECONDS, 'lease-1'));

      expect(next).to.include({
        status: 'PROCESSING',
        attempts: 1,
        leaseId: 'lease-1',
        leaseUntil: '2026-01-01T00:01:30.000Z',
        updatedAt: NOW.toISOString(),
      });
    });

    it('appends exactly one PROCESSING event for the attempt', () => {
      const task = taskState();

      const next = applied(task, claim('task-1', 1, NOW, LEASE_SECONDS, 'lease-1'));

      expect(next.history).to.deep.equal([...task.history, { type: 'PROCESSING', at: NOW.toISOString(), attempt: 1 }]);
    });

    it('claims a RETRY_SCHEDULED task for the next attempt (attempts = attempt - 1) and drops nextAttemptAt but keeps lastError', () => {
      const task = retryScheduled(1);

      const next = applied(task, claim('task-1', 2, NOW, LEASE_SECONDS, 'lease-2'));

      expect(next).to.include({ status: 'PROCESSING', attempts: 2, leaseId: 'lease-2' });
      expect(next).not.to.have.property('nextAttemptAt');
      expect(next.lastError).to.deep.equal(ERROR);
    });

    it('refuses a duplicate delivery while another claim of the same attempt holds a live lease', () => {
      const task = processing(1, 'lease-a', '2026-01-01T00:01:20.000Z');

      const next = applyTransition(task, claim('task-1', 1, NOW, LEASE_SECONDS, 'lease-b'));

      expect(next).to.equal(undefined);
    });

    it('refuses a duplicate delivery when the lease ends exactly now', () => {
      const task = processing(1, 'lease-a', NOW.toISOString());

      const next = applyTransition(task, claim('task-1', 1, NOW, LEASE_SECONDS, 'lease-b'));

      expect(next).to.equal(undefined);
    });

    it('takes over a PROCESSING task whose lease ran out: same attempt number, new lease, one more PROCESSING event', () => {
      const task = processing(2, 'lease-a', '2026-01-01T00:00:59.000Z');

      const next = applied(task, claim('task-1', 2, NOW, LEASE_SECONDS, 'lease-b'));

      expect(next).to.include({ status: 'PROCESSING', attempts: 2, leaseId: 'lease-b', leaseUntil: '2026-01-01T00:01:30.000Z' });
      expect(next.history).to.have.length(task.history.length + 1);
      expect(next.history.at(-1)).to.deep.equal({ type: 'PROCESSING', at: NOW.toISOString(), attempt: 2 });
    });

    it('does not take over an expired lease of a different attempt', () => {
      const task = processing(1, 'lease-a', '2026-01-01T00:00:00.000Z');

      const next = applyTransition(task, claim('task-1', 2, NOW, LEASE_SECONDS, 'lease-b'));

      expect(next).to.equal(undefined);
    });

    const stale: [string, TaskState, number][] = [
      ['attempt 1 after the task moved on to wait for attempt 2', retryScheduled(1), 1],
      ['attempt 2 of a task that is still QUEUED for attempt 1', taskState(), 2],
      ['attempt 2 after attempt 2 already failed', retryScheduled(2), 2],
    ];
    for (const [what, task, attempt] of stale) {
      it(`refuses a stale or early delivery: ${what}`, () => {
        const next = applyTransition(task, claim('task-1', attempt, NOW, LEASE_SECONDS, 'lease-x'));

        expect(next).to.equal(undefined);
      });
    }

    for (const status of ['SUCCEEDED', 'FAILED', 'DEAD_LETTERED'] as TaskStatus[]) {
      it(`refuses to claim a ${status} task, for any attempt`, () => {
        const task = taskState({ status, attempts: 1 });

        const results = [1, 2, 3].map((attempt) => applyTransition(task, claim('task-1', attempt, NOW, LEASE_SECONDS, 'lease-x')));

        expect(results).to.deep.equal([undefined, undefined, undefined]);
      });
    }

    it('does not modify the task it was given', () => {
      const task = taskState();
      const before = structuredClone(task);

      applyTransition(task, claim('task-1', 1, NOW, LEASE_SECONDS, 'lease-1'));

      expect(task).to.deep.equal(before);
    });
  });

  describe('succeed', () => {
    it('moves the lease holder to SUCCEEDED, removes the lease and appends one SUCCEEDED event', () => {
      const task = processing(2);

      const next = applied(task, succeed('task-1', 2, 'lease-a', NOW));

      expect(next).to.include({ status: 'SUCCEEDED', attempts: 2, updatedAt: NOW.toISOString() });
      expect(next).not.to.have.any.keys('leaseId', 'leaseUntil', 'nextAttemptAt');
      expect(next.history).to.deep.equal([...task.history, { type: 'SUCCEEDED', at: NOW.toISOString(), attempt: 2 }]);
    });

    it('is refused to anyone but the lease holder', () => {
      const next = applyTransition(processing(1, 'lease-a'), succeed('task-1', 1, 'lease-b', NOW));

      expect(next).to.equal(undefined);
    });

    it('is refused for another attempt than the one being processed', () => {
      const next = applyTransition(processing(2, 'lease-a'), succeed('task-1', 1, 'lease-a', NOW));

      expect(next).to.equal(undefined);
    });

    it('is refused once the task is no longer PROCESSING', () => {
      const task = retryScheduled(1, { leaseId: 'lease-a' });

      const next = applyTransition(task, succeed('task-1', 1, 'lease-a', NOW));

      expect(next).to.equal(undefined);
    });
  });

  describe('scheduleRetry', () => {
    it('moves the lease holder to RETRY_SCHEDULED with the error, nextAttemptAt = now + delay and no lease', () => {
      const task = processing(1);

      const next = applied(task, scheduleRetry('task-1', 1, 'lease-a', ERROR, NOW, 20));

      expect(next).to.include({ status: 'RETRY_SCHEDULED', attempts: 1, nextAttemptAt: '2026-01-01T00:01:20.000Z' });
      expect(next.lastError).to.deep.equal(ERROR);
      expect(next).not.to.have.any.keys('leaseId', 'leaseUntil');
    });

    it('appends exactly one RETRY_SCHEDULED event with the attempt, the error and delaySeconds', () => {
      const task = processing(2);

      const next = applied(task, scheduleRetry('task-1', 2, 'lease-a', ERROR, NOW, 40));

      expect(next.history).to.deep.equal([
        ...task.history,
        { type: 'RETRY_SCHEDULED', at: NOW.toISOString(), attempt: 2, error: ERROR, delaySeconds: 40 },
      ]);
    });

    it('is refused to anyone but the lease holder', () => {
      const next = applyTransition(processing(1, 'lease-a'), scheduleRetry('task-1', 1, 'lease-b', ERROR, NOW, 10));

      expect(next).to.equal(undefined);
    });
  });

  describe('deadLetter', () => {
    it('moves the lease holder to DEAD_LETTERED with the error and no lease, and appends one DEAD_LETTERED event', () => {
      const task = processing(3);

      const next = applied(task, deadLetter('task-1', 3, 'lease-a', ERROR, NOW));

      expect(next).to.include({ status: 'DEAD_LETTERED', attempts: 3 });
      expect(next.lastError).to.deep.equal(ERROR);
      expect(next).not.to.have.any.keys('leaseId', 'leaseUntil', 'nextAttemptAt');
      expect(next.history).to.deep.equal([...task.history, { type: 'DEAD_LETTERED', at: NOW.toISOString(), attempt: 3, error: ERROR }]);
    });

    it('is refused to anyone but the lease holder', () => {
      const next = applyTransition(processing(3, 'lease-a'), deadLetter('task-1', 3, 'lease-b', ERROR, NOW));

      expect(next).to.equal(undefined);
    });
  });

  describe('failDeadLettered', () => {
    it('moves a DEAD_LETTERED task to FAILED, keeping lastError, and appends one FAILED event', () => {
      const task = taskState({ status: 'DEAD_LETTERED', attempts: 3, lastError: ERROR });

      const next = applied(task, failDeadLettered('task-1', 3, ERROR, NOW));

      expect(next).to.include({ status: 'FAILED', attempts: 3 });
      expect(next.lastError).to.deep.equal(ERROR);
      expect(next.history).to.deep.equal([...task.history, { type: 'FAILED', at: NOW.toISOString(), attempt: 3, error: ERROR }]);
    });

    it('changes nothing for a task already FAILED (a duplicate DLQ delivery)', () => {
      const task = taskState({ status: 'FAILED', attempts: 3 });

      const next = applyTransition(task, failDeadLettered('task-1', 3, ERROR, NOW));

      expect(next).to.equal(undefined);
    });

    it('is refused for a different attempt count', () => {
      const next = applyTransition(taskState({ status: 'DEAD_LETTERED', attempts: 2 }), failDeadLettered('task-1', 3, ERROR, NOW));

      expect(next).to.equal(undefined);
    });
  });

  describe('failRedriven', () => {
    const waiting: [string, TaskState, number][] = [
      ['QUEUED for attempt 1', taskState(), 1],
      ['RETRY_SCHEDULED for attempt 2', retryScheduled(1), 2],
      ['PROCESSING attempt 2', processing(2, 'lease-a', '2026-01-01T00:01:20.000Z', { lastError: ERROR }), 2],
      ['DEAD_LETTERED after attempt 3', taskState({ status: 'DEAD_LETTERED', attempts: 3, lastError: ERROR }), 3],
    ];
    for (const [what, task, attempt] of waiting) {
      it(`fails a task that is ${what} when that attempt's message was redriven`, () => {
        const next = applied(task, failRedriven('task-1', attempt, REDRIVE_ERROR, NOW));

        expect(next.status).to.equal('FAILED');
        expect(next).not.to.have.any.keys('leaseId', 'leaseUntil', 'nextAttemptAt');
        expect(next.history).to.deep.equal([...task.history, { type: 'FAILED', at: NOW.toISOString(), attempt, error: REDRIVE_ERROR }]);
      });
    }

    it('keeps lastError as the last error of the work, not the redrive reason', () => {
      const task = retryScheduled(1);

      const next = applied(task, failRedriven('task-1', 2, REDRIVE_ERROR, NOW));

      expect(next.lastError).to.deep.equal(ERROR);
    });

    it('changes nothing for a stale copy of an earlier attempt', () => {
      const task = retryScheduled(2);

      const next = applyTransition(task, failRedriven('task-1', 2, REDRIVE_ERROR, NOW));

      expect(next).to.equal(undefined);
    });

    it('changes nothing for a task that already SUCCEEDED', () => {
      const next = applyTransition(taskState({ status: 'SUCCEEDED', attempts: 1 }), failRedriven('task-1', 1, REDRIVE_ERROR, NOW));

      expect(next).to.equal(undefined);
    });
  });

  describe('redrive', () => {
    it('puts a FAILED task back to QUEUED with a fresh attempt budget and appends one REDRIVEN event', () => {
      const task = taskState({ status: 'FAILED', attempts: 3, lastError: ERROR });

      const next = applied(task, redrive('task-1', NOW));

      expect(next).to.include({ status: 'QUEUED', attempts: 0, updatedAt: NOW.toISOString() });
      expect(next.history).to.deep.equal([...task.history, { type: 'REDRIVEN', at: NOW.toISOString(), attempt: 0 }]);
    });

    it('lets attempt 1 be claimed again after a redrive', () => {
      const redriven = applied(taskState({ status: 'FAILED', attempts: 3 }), redrive('task-1', NOW));

      const next = applyTransition(redriven, claim('task-1', 1, NOW, LEASE_SECONDS, 'lease-r'));

      expect(next).to.include({ status: 'PROCESSING', attempts: 1 });
    });

    for (const status of ['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'SUCCEEDED', 'DEAD_LETTERED'] as TaskStatus[]) {
      it(`refuses to redrive a ${status} task`, () => {
        const next = applyTransition(taskState({ status, attempts: 1 }), redrive('task-1', NOW));

        expect(next).to.equal(undefined);
      });
    }
  });
});
