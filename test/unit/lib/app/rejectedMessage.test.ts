import { expect } from 'chai';
import { createHandler as createRedrive } from '../../../../handlers/redriveTask';
import { createHandler as createSubmit } from '../../../../handlers/submitTask';
import { processDelivery } from '../../../../lib/app/processDelivery';
import { reconcile } from '../../../../lib/app/reconcile';
import { isTerminal } from '../../../../lib/domain/task';
import { postTaskEvent, taskMessage, taskState } from '../../../helpers/factories';
import { testDeps, type TestDeps } from '../../../helpers/fakes';

/** A draw that makes the simulated work fail at failure rate 0.3. */
const FAIL = 0.1;
const REFUSAL = 'the task queue refused the message (InvalidMessageContents): Invalid characters found.';

/** The TASK_FAILED lines logged, without the keys Powertools puts on every line but the level. */
function taskFailedLines(deps: TestDeps): Record<string, unknown>[] {
  return deps.log.withMessage('TASK_FAILED').map(({ message: _m, timestamp: _t, service: _s, sampling_rate: _r, ...keys }) => keys);
}

describe('a message the queue refuses as invalid ends its task FAILED (never stuck)', () => {
  let deps: TestDeps;

  beforeEach(() => {
    deps = testDeps({ randoms: [FAIL, 0.5] });
    deps.queue.refuse = () => true;
  });

  describe('POST /tasks', () => {
    const submit = async (body: unknown) => {
      const handler = createSubmit(() => deps);
      const result = await handler(postTaskEvent(body));
      return { ...result, json: JSON.parse(result.body) };
    };

    it('answers 422 MESSAGE_REJECTED naming the refusal, and records the task FAILED with the error', async () => {
      const res = await submit({ taskId: 'bad-1', payload: { s: 'x' } });

      expect(res.statusCode).to.equal(422);
      expect(res.json.error).to.deep.equal({
        code: 'MESSAGE_REJECTED',
        message: `task 'bad-1' was recorded but ${REFUSAL}; the task is FAILED and sending the same request again cannot change that`,
        details: { taskId: 'bad-1', status: 'FAILED', queueError: 'InvalidMessageContents' },
      });
      const task = deps.store.tasks.get('bad-1')!;
      expect(task.status).to.equal('FAILED');
      expect(task.lastError).to.deep.equal({ name: 'MessageRejected', message: REFUSAL });
      expect(task.history.map((e) => e.type)).to.deep.equal(['QUEUED', 'FAILED']);
    });

    it('logs one TASK_FAILED line with the taskId, the payload and the error, and counts the task as failed', async () => {
      await submit({ taskId: 'bad-1', payload: { s: 'x' } });

      expect(taskFailedLines(deps)).to.deep.equal([
        {
          level: 'ERROR',
          taskId: 'bad-1',
          type: 'simulated',
          permanent: true,
          payload: { s: 'x' },
          error: REFUSAL,
          errorName: 'MessageRejected',
          attempts: 0,
          source: 'MESSAGE_REJECTED',
          correlationId: 'id-1',
        },
      ]);
      expect(deps.metrics.total('TasksFailed')).to.equal(1);
    });

    it('answers the same request sent again with 200 and the FAILED task, without trying to enqueue it again', async () => {
      await submit({ taskId: 'bad-1', payload: { s: 'x' } });

      const again = await submit({ taskId: 'bad-1', payload: { s: 'x' } });

      expect(again.statusCode).to.equal(200);
      expect(again.json.status).to.equal('FAILED');
      expect(deps.queue.refused).to.have.length(1);
    });

    it('still answers 503 ENQUEUE_FAILED, and leaves the task QUEUED for a retry, when the queue fails for another reason', async () => {
      deps.queue.refuse = () => false;
      deps.queue.enqueue = async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'RequestThrottled' });
      };

      const res = await submit({ taskId: 'slow-1', payload: {} });

      expect(res.statusCode).to.equal(503);
      expect(deps.store.tasks.get('slow-1')!.status).to.equal('QUEUED');
    });
  });

  describe('processTask', () => {
    it("ends a task FAILED when its retry message is refused, keeping the attempt's error in the history", async () => {
      deps.store.tasks.set('task-1', taskState());

      const outcome = await processDelivery(taskMessage(), deps, deps.log);

      expect(outcome).to.equal('FAILED');
      const task = deps.store.tasks.get('task-1')!;
      expect(task.history.map((e) => e.type)).to.deep.equal(['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'FAILED']);
      expect(task.history[2].error?.name).to.equal('SimulatedFailure');
      expect(task.history[3]).to.deep.include({ attempt: 1, error: { name: 'MessageRejected', message: REFUSAL } });
      expect(taskFailedLines(deps)).to.have.length(1);
    });

    it("ends a task FAILED when its DLQ message is refused after the last attempt, keeping the work's error as lastError", async () => {
      deps.store.tasks.set('task-1', taskState({ status: 'RETRY_SCHEDULED', attempts: 2 }));

      const outcome = await processDelivery(taskMessage({ attempt: 3 }), deps, deps.log);

      expect(outcome).to.equal('FAILED');
      const task = deps.store.tasks.get('task-1')!;
      expect(task.status).to.equal('FAILED');
      expect(task.lastError?.name).to.equal('SimulatedFailure');
      expect(task.history.at(-1)).to.deep.include({ type: 'FAILED', attempt: 3 });
      expect(task.history.at(-1)?.error?.message).to.equal(
        'the dead-letter queue refused the message (InvalidMessageContents): Invalid characters found.',
      );
      expect(taskFailedLines(deps)).to.have.length(1);
    });
  });

  describe('reconcile', () => {
    const options = { graceSeconds: 60, maxPerStatus: 1000 };

    it('ends every kind of stuck task whose message is refused FAILED once, so the next sweep has nothing to retry', async () => {
      deps = testDeps({ now: '2026-01-01T01:00:00.000Z' });
      deps.queue.refuse = () => true;
      const stuck = [
        taskState({ taskId: 'q', status: 'QUEUED', attempts: 0 }),
        taskState({ taskId: 'r', status: 'RETRY_SCHEDULED', attempts: 1, nextAttemptAt: '2026-01-01T00:00:10.000Z' }),
        taskState({ taskId: 'p', status: 'PROCESSING', attempts: 2, leaseId: 'l', leaseUntil: '2026-01-01T00:00:30.000Z' }),
        taskState({ taskId: 'd', status: 'DEAD_LETTERED', attempts: 3, lastError: { name: 'SimulatedFailure', message: 'boom' } }),
      ];
      for (const task of stuck) {
        deps.store.tasks.set(task.taskId, task);
        deps.store.payloads.set(task.taskId, '{"e":"\\ud83d\\ude00"}');
      }

      const first = await reconcile(deps, options);
      const second = await reconcile(deps, options);

      expect(first).to.include({ rejected: 4, errors: 0 });
      expect([...deps.store.tasks.values()].map((t) => t.status)).to.deep.equal(['FAILED', 'FAILED', 'FAILED', 'FAILED']);
      expect(taskFailedLines(deps).map((line) => line.taskId)).to.have.members(['q', 'r', 'p', 'd']);
      expect(second).to.include({ examined: 0, rejected: 0, errors: 0 });
      expect(deps.queue.refused).to.have.length(4);
    });

    it('leaves a task alone that moved on while its re-sent message was being refused', async () => {
      deps = testDeps({ now: '2026-01-01T01:00:00.000Z' });
      deps.store.tasks.set('q', taskState({ taskId: 'q', status: 'QUEUED', attempts: 0 }));
      deps.store.payloads.set('q', '{}');
      // The original message is processed meanwhile: the task succeeds before the refusal comes back.
      deps.queue.refuse = () => {
        Object.assign(deps.store.tasks.get('q')!, { status: 'SUCCEEDED', attempts: 1 });
        return true;
      };

      const report = await reconcile(deps, options);

      expect(deps.store.tasks.get('q')!.status).to.equal('SUCCEEDED');
      expect(taskFailedLines(deps)).to.deep.equal([]);
      expect(report.errors).to.equal(0);
    });
  });

  describe('POST /tasks/{taskId}/redrive', () => {
    it('answers 422 and puts the task back to FAILED, with REDRIVEN and FAILED in its history', async () => {
      deps.store.tasks.set('t', taskState({ taskId: 't', status: 'FAILED', attempts: 3 }));
      deps.store.payloads.set('t', '{}');
      const handler = createRedrive(() => deps);

      const result = await handler({ pathParameters: { taskId: 't' } } as never);

      expect(result.statusCode).to.equal(422);
      expect(JSON.parse(result.body).error.code).to.equal('MESSAGE_REJECTED');
      const task = deps.store.tasks.get('t')!;
      expect(isTerminal(task.status)).to.equal(true);
      expect(task.history.map((e) => e.type)).to.deep.equal(['QUEUED', 'REDRIVEN', 'FAILED']);
    });
  });
});
