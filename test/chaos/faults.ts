import { AsyncLocalStorage } from 'node:async_hooks';
import {
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  type BatchResultErrorEntry,
  RequestThrottled,
  type SendMessageBatchCommandOutput,
  SQSServiceException,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Transition, TransitionResult } from '../../lib/domain/stateMachine';
import type { TaskMessage, TaskStatus } from '../../lib/domain/task';
import type { SendOutcome, TaskQueue } from '../../lib/adapters/taskQueue';
import type { TaskStore } from '../../lib/adapters/taskStore';
import { sleep } from '../../tools/poll';
import { keyedUniform } from './random';

/** Faults of an SDK call, as the caller sees them. */
export const SDK_FAULTS = [
  /** ProvisionedThroughputExceededException / ThrottlingException (DynamoDB), RequestThrottled / ThrottlingException (SQS); nothing written. */
  'throttle',
  /** InternalServerError 500 / ServiceUnavailable 503; nothing written. */
  'server',
  /** A TimeoutError after a delay; the request never reached the service. */
  'timeout',
  /** The request succeeded, its response was lost: the write happened, the caller sees a TimeoutError. */
  'lostResponse',
  /** As lostResponse, but inside the SDK's retry loop: the SDK repeats the request that already succeeded. */
  'lostResponseRetried',
] as const;
export type SdkFault = (typeof SDK_FAULTS)[number];

/** Every kind of fault the suite injects, by where it happens. */
export type FaultKind =
  | `dynamodb.${SdkFault}`
  | `sqs.${SdkFault}`
  | `sqs.batch.${SdkFault}`
  | 'sqs.batch.entryFailed'
  | 'sqs.duplicateSend'
  | 'processor.crashAfterClaim'
  | 'processor.crashBeforeOutcome'
  | 'processor.crashAfterOutcome'
  | 'monitor.writeFailed'
  | 'monitor.writeLost'
  | 'submit.sendFailed'
  | 'submit.batchEntryFailed'
  | 'servers.paused';

export interface FaultRates {
  /** Share of DynamoDB calls (every command the store makes) that fail. */
  dynamoDb: number;
  /** Share of SQS SendMessage calls that fail. */
  sqs: number;
  /**
   * Share of SendMessageBatch calls that fail whole (as an SDK call fails), and of the entries of
   * the other calls that SQS reports Failed (SenderFault false) without sending them.
   */
  sqsBatch: number;
  /** Each SendMessage and SendMessageBatch is sent twice (duplicate delivery of every message). */
  duplicateEverySend: boolean;
  /** Share of processor claims and outcome writes at which the invocation crashes (a Lambda timeout). */
  processorCrash: number;
  /** Share of DLQ monitor writes that fail (half before the write, half after it: a lost response). */
  monitorWrite: number;
  /** Share of first-attempt SendMessage calls at submit that fail after the state was written (the client sees 503). */
  submitSend: number;
}

/** One injected fault, kept to explain a finding. */
export interface FaultRecord {
  at: string;
  kind: FaultKind;
  taskId?: string;
  detail: string;
}

/** The crash of an invocation, as if Lambda had timed out: the whole batch returns to the queue. */
export class InjectedCrash extends Error {
  constructor(
    readonly kind: FaultKind,
    detail: string,
  ) {
    super(`injected crash (${kind}): ${detail}`);
    this.name = 'InjectedCrash';
  }
}

/** What one invocation of a function learned about itself; read by the invoker after the handler returns. */
export interface InvocationState {
  crashed?: FaultKind;
}

/** The invocation a piece of code runs in (set by the invoker around each handler call). */
export const invocationContext = new AsyncLocalStorage<InvocationState>();

const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'chaos', attempts: 1, totalRetryDelay: 0 });

function sdkError(service: 'dynamodb' | 'sqs', fault: SdkFault, variant: number): Error {
  const message = `injected ${fault}`;
  if (fault === 'timeout' || fault === 'lostResponse') {
    return Object.assign(new Error(`${message}: socket timed out`), { name: 'TimeoutError', $metadata: {} });
  }
  if (service === 'dynamodb') {
    if (fault === 'throttle') {
      return variant < 0.5
        ? new ProvisionedThroughputExceededException({ message, $metadata: metadata(400) })
        : new ThrottlingException({ message, $metadata: metadata(400) });
    }
    return variant < 0.5
      ? new InternalServerError({ message, $metadata: metadata(500) })
      : new DynamoDBServiceException({ name: 'ServiceUnavailable', $fault: 'server', message, $metadata: metadata(503) });
  }
  if (fault === 'throttle') {
    return variant < 0.5
      ? new RequestThrottled({ message, $metadata: metadata(400) })
      : new SQSServiceException({ name: 'ThrottlingException', $fault: 'client', message, $metadata: metadata(400) });
  }
  return variant < 0.5
    ? new SQSServiceException({ name: 'InternalError', $fault: 'server', message, $metadata: metadata(500) })
    : new SQSServiceException({ name: 'ServiceUnavailable', $fault: 'server', message, $metadata: metadata(503) });
}

/** The task a DynamoDB or SQS command is about, from its input. */
function taskIdOf(input: Record<string, unknown>): string | undefined {
  const key = (input.Key ?? input.Item) as Record<string, { S?: string }> | undefined;
  if (key?.pk?.S?.startsWith('TASK#')) return key.pk.S.slice('TASK#'.length);
  if (typeof input.MessageBody === 'string') {
    try {
      return (JSON.parse(input.MessageBody) as { taskId?: string }).taskId;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

type BatchEntries = { Id?: string; MessageBody?: string }[];

/** The tasks of a SendMessageBatch call's entries, in entry order. */
function batchTaskIds(input: Record<string, unknown>): string[] {
  return ((input.Entries ?? []) as BatchEntries).map((entry) => taskIdOf({ MessageBody: entry.MessageBody }) ?? '');
}

/** A stable name for a command call: same operation on the same task and step → same name. */
function callKey(commandName: string, input: Record<string, unknown>): string {
  if (Array.isArray(input.Entries)) {
    const queue =
      String(input.QueueUrl ?? '')
        .split('/')
        .pop() ?? '';
    return [commandName, queue, batchTaskIds(input).join(',')].join('|');
  }
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, { S?: string; N?: string }>;
  const parts = [
    commandName,
    taskIdOf(input) ?? '',
    (input.Key as Record<string, { S?: string }> | undefined)?.sk?.S ??
      (input.Item as Record<string, { S?: string }> | undefined)?.sk?.S ??
      '',
  ];
  if (values[':to']) parts.push(values[':to'].S ?? '', values[':attempts']?.N ?? values[':g0attempts']?.N ?? '');
  if (values[':status']) parts.push(values[':status'].S ?? '');
  if (typeof input.MessageBody === 'string') {
    try {
      const body = JSON.parse(input.MessageBody) as { kind?: string; attempt?: number; attempts?: number };
      parts.push(
        String(input.QueueUrl ?? '')
          .split('/')
          .pop() ?? '',
        body.kind ?? 'TASK',
        String(body.attempt ?? body.attempts ?? ''),
      );
    } catch {
      parts.push('unparsable');
    }
  }
  return parts.join('|');
}

/**
 * Decides and counts faults. Every decision is a keyed draw (seed + what is being decided +
 * how many times it was decided before), so a seed replays the same faults for the same calls.
 */
export class FaultInjector {
  readonly counts: Partial<Record<FaultKind, number>> = {};
  readonly records: FaultRecord[] = [];
  private readonly occurrences = new Map<string, number>();

  constructor(
    readonly seed: number,
    readonly rates: FaultRates,
  ) {}

  /** A keyed uniform draw; the n-th draw for the same key differs from the previous ones. */
  draw(key: string): number {
    const n = this.occurrences.get(key) ?? 0;
    this.occurrences.set(key, n + 1);
    return keyedUniform(this.seed, `${key}#${n}`);
  }

  /** Counts one fault; it joins the trail of its task, or of each task of a batch call it hit. */
  record(kind: FaultKind, detail: string, taskId?: string | readonly string[]): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    const at = new Date().toISOString();
    for (const id of typeof taskId === 'string' || taskId === undefined ? [taskId] : taskId)
      this.records.push({ at, kind, taskId: id, detail });
  }

  /** Faults recorded for one task, oldest first. */
  trail(taskId: string): FaultRecord[] {
    return this.records.filter((record) => record.taskId === taskId);
  }

  /**
   * Adds fault injection to an SDK client's middleware stack. Faults are injected outside the
   * SDK's retry loop (the caller sees them, as after the SDK gave up), except lostResponseRetried,
   * which fails a request that succeeded inside the loop so the SDK repeats it.
   */
  instrument(
    client: DynamoDBClient | SQSClient,
    service: 'dynamodb' | 'sqs',
    options: { rate: number; batchRate?: number; duplicateSends?: boolean; commands?: string[] },
  ): void {
    const stack = (client as SQSClient).middlewareStack;
    const retryAfterSend = Symbol('chaos.retryAfterSend');

    stack.add(
      (next, context) => async (args) => {
        const commandName = context.commandName ?? 'Unknown';
        if (options.commands && !options.commands.includes(commandName)) return next(args);
        const input = args.input as Record<string, unknown>;
        const batch = commandName === 'SendMessageBatchCommand';
        const key = `${service}|${callKey(commandName, input)}`;
        if (this.draw(key) >= (batch ? (options.batchRate ?? options.rate) : options.rate)) {
          return batch ? this.failSomeEntries(next, args, options.batchRate ?? options.rate) : next(args);
        }
        const pick = this.draw(`${key}|kind`);
        const fault = SDK_FAULTS[Math.floor(pick * SDK_FAULTS.length)];
        const variant = this.draw(`${key}|variant`);
        const kind: FaultKind = batch ? `sqs.batch.${fault}` : `${service}.${fault}`;
        this.record(kind, `${commandName} ${key}`, batch ? batchTaskIds(input) : taskIdOf(input));
        switch (fault) {
          case 'throttle':
          case 'server':
            throw sdkError(service, fault, variant);
          case 'timeout':
            await sleep(100 + Math.floor(variant * 700));
            throw sdkError(service, fault, variant);
          case 'lostResponse':
            await next(args);
            throw sdkError(service, fault, variant);
          case 'lostResponseRetried':
            (context as Record<symbol, unknown>)[retryAfterSend] = true;
            return next(args);
        }
      },
      { step: 'initialize', priority: 'high', name: 'chaosFaults' },
    );

    if (options.duplicateSends) {
      stack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'SendMessageCommand' && context.commandName !== 'SendMessageBatchCommand') return next(args);
          const input = args.input as Record<string, unknown>;
          const first = await next(args);
          this.record(
            'sqs.duplicateSend',
            callKey(context.commandName, input),
            context.commandName === 'SendMessageBatchCommand' ? batchTaskIds(input) : taskIdOf(input),
          );
          try {
            await next(args);
          } catch {
            // The copy is best effort: SQS promises at-least-once, not exactly twice.
          }
          return first;
        },
        { step: 'initialize', priority: 'low', name: 'chaosDuplicateSends' },
      );
    }

    stack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const ctx = context as Record<symbol, unknown>;
        if (ctx[retryAfterSend]) {
          ctx[retryAfterSend] = false;
          // Retryable (500): the SDK sends the request again although the first one took effect.
          throw sdkError(service, 'server', 0);
        }
        return result;
      },
      { step: 'finalizeRequest', priority: 'low', name: 'chaosLostResponseRetried' },
    );
  }

  /**
   * A SendMessageBatch call in which a share of the entries fail as SQS reports a partial failure:
   * not sent, listed in the response's Failed with SenderFault false (a retryable server-side code).
   */
  private async failSomeEntries<A extends { input: object }, R extends { output: object }>(
    next: (args: A) => Promise<R>,
    args: A,
    rate: number,
  ): Promise<R> {
    const input = args.input as Record<string, unknown>;
    const entries = (input.Entries ?? []) as BatchEntries;
    const failing = entries.filter(
      (entry) => this.draw(`sqs|${callKey('SendMessageBatchEntry', { QueueUrl: input.QueueUrl, MessageBody: entry.MessageBody })}`) < rate,
    );
    if (failing.length === 0) return next(args);
    const kept = entries.filter((entry) => !failing.includes(entry));
    const result =
      kept.length > 0
        ? await next({ ...args, input: { ...input, Entries: kept } })
        : ({ output: { Successful: [], Failed: [], $metadata: metadata(200) }, response: undefined } as unknown as R);
    const output = result.output as SendMessageBatchCommandOutput;
    const failed = failing.map((entry, i): BatchResultErrorEntry => {
      const code = i % 2 === 0 ? 'InternalError' : 'ServiceUnavailable';
      const taskId = taskIdOf({ MessageBody: entry.MessageBody });
      this.record('sqs.batch.entryFailed', `SendMessageBatch entry ${entry.Id} Failed (${code}, SenderFault false)`, taskId);
      return { Id: entry.Id, SenderFault: false, Code: code, Message: 'injected partial failure' };
    });
    return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...failed] } } as R;
  }

  /** Crashes the invocation; the invoker fails the whole batch, as after a Lambda timeout. */
  crash(kind: FaultKind, detail: string, taskId: string): never {
    this.record(kind, detail, taskId);
    const invocation = invocationContext.getStore();
    if (invocation) invocation.crashed = kind;
    throw new InjectedCrash(kind, detail);
  }

  /**
   * The processor's store: the real one, but the invocation may crash right after a claim is
   * written, before an outcome is written, or after it is written (so its follow-up
   * SendMessage is never made).
   */
  processorStore(store: TaskStore): TaskStore {
    const outcomes: TaskStatus[] = ['SUCCEEDED', 'RETRY_SCHEDULED', 'DEAD_LETTERED'];
    const wrapped = Object.create(store) as TaskStore;
    wrapped.transition = async (t: Transition): Promise<TransitionResult> => {
      const attempt = t.event.attempt;
      const key = `processor|${t.taskId}|${t.to}|${attempt}`;
      const crashes = this.draw(key) < this.rates.processorCrash;
      const before = this.draw(`${key}|when`) < 0.5;
      if (crashes && outcomes.includes(t.to) && before)
        this.crash('processor.crashBeforeOutcome', `${t.to} of attempt ${attempt} not written`, t.taskId);
      const result = await store.transition(t);
      if (crashes && result.applied && t.to === 'PROCESSING')
        this.crash('processor.crashAfterClaim', `claim of attempt ${attempt} written`, t.taskId);
      if (crashes && result.applied && outcomes.includes(t.to) && !before) {
        this.crash('processor.crashAfterOutcome', `${t.to} of attempt ${attempt} written, follow-up not sent`, t.taskId);
      }
      return result;
    };
    return wrapped;
  }

  /** The DLQ monitor's store: its FAILED write fails on a share, before or after taking effect. */
  monitorStore(store: TaskStore): TaskStore {
    const wrapped = Object.create(store) as TaskStore;
    wrapped.transition = async (t: Transition): Promise<TransitionResult> => {
      const key = `monitor|${t.taskId}`;
      const fails = this.draw(key) < this.rates.monitorWrite;
      const lost = this.draw(`${key}|lost`) < 0.5;
      if (fails && !lost) {
        this.record('monitor.writeFailed', `FAILED write of attempt ${t.event.attempt} refused`, t.taskId);
        throw sdkError('dynamodb', 'server', 0);
      }
      const result = await store.transition(t);
      if (fails) {
        this.record(
          'monitor.writeLost',
          `FAILED write of attempt ${t.event.attempt} ${result.applied ? 'applied' : 'not applied'}, response lost`,
          t.taskId,
        );
        throw sdkError('dynamodb', 'lostResponse', 0);
      }
      return result;
    };
    return wrapped;
  }

  /** The submit handler's queue: a share of first-attempt sends fail after the state item was written (HTTP 503). */
  submitQueue(queue: TaskQueue): TaskQueue {
    const fails = (message: TaskMessage) => this.draw(`submit|${message.taskId}`) < this.rates.submitSend;
    return {
      enqueue: async (message, delaySeconds) => {
        if (fails(message)) {
          this.record('submit.sendFailed', `SendMessage of attempt ${message.attempt} after the state was written`, message.taskId);
          throw sdkError('sqs', 'server', 1);
        }
        return queue.enqueue(message, delaySeconds);
      },
      // A share of a batch's entries fail after every retry (reported, not thrown); the rest are sent.
      enqueueBatch: async (entries) => {
        const outcomes: SendOutcome[] = new Array(entries.length);
        const passed: number[] = [];
        entries.forEach(({ message }, i) => {
          if (!fails(message)) passed.push(i);
          else {
            this.record('submit.batchEntryFailed', `SendMessageBatch entry of attempt ${message.attempt} failed`, message.taskId);
            outcomes[i] = { sent: false, error: sdkError('sqs', 'server', 1) };
          }
        });
        const sent = await queue.enqueueBatch(passed.map((i) => entries[i]));
        passed.forEach((i, k) => {
          outcomes[i] = sent[k];
        });
        return outcomes;
      },
      deadLetter: (message) => queue.deadLetter(message),
    };
  }
}
