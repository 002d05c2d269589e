import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from '../../../../lib/config';
import { AppError } from '../../../../lib/domain/errors';
import { MAX_MESSAGE_BYTES, encodeMessageBody } from '../../../../lib/domain/messageBody';
import { MAX_ERROR_MESSAGE_LENGTH } from '../../../../lib/app/runAttempt';
import { registryFor } from '../../../../lib/types/registry';
import { testConfig } from '../../../helpers/factories';
import type { DeadLetterMessage, TaskMessage } from '../../../../lib/domain/task';
import type { SubmitRequest } from '../../../../lib/app/submit';
import { parseSubmitRequest } from '../../../../lib/lambda/validation';
import { EDGE_CHARACTERS, SQS_BODY_CHARACTERS, edgeString, payloadArbitrary } from '../../../support/unicode';

const HEADERS = { 'Content-Type': 'application/json' };
// Seeded: a failure names its seed and path, and a rerun finds the same case.
const RUNS = { seed: 20261201, numRuns: 400 };

/** The request the API accepts for this body text, or undefined when it refuses it (4xx). */
function accepted(body: string): SubmitRequest | undefined {
  try {
    return parseSubmitRequest(
      { headers: HEADERS, body },
      MAX_BODY_BYTES,
      registryFor(testConfig(), () => 0.5),
    );
  } catch (error) {
    if (error instanceof AppError) return undefined;
    throw error;
  }
}

/** Every message the pipeline sends for a task: its attempts (task queue) and its DLQ message. */
function messagesOf(request: SubmitRequest, errorMessage = 'simulated failure'): (TaskMessage | DeadLetterMessage)[] {
  const correlationId = '01JDQ7Z5X3G0000000000000000';
  return [
    { taskId: request.taskId, type: 'simulated', attempt: 3, payload: request.payload, correlationId },
    {
      kind: 'DEAD_LETTERED',
      taskId: request.taskId,
      type: 'simulated',
      payload: request.payload,
      attempts: 3,
      error: { name: 'SimulatedFailure', message: errorMessage },
      failedAt: '2026-12-01T00:00:00.000Z',
      correlationId,
    },
  ];
}

describe('encodeMessageBody (every SQS message body)', () => {
  it('writes every character outside printable ASCII as a \\u escape of the same JSON value', () => {
    const body = encodeMessageBody({ e: '😀', s: '\uffff', c: '\u0001', k: { ключ: 'é' } });

    expect(body).to.equal('{"e":"\\ud83d\\ude00","s":"\\uffff","c":"\\u0001","k":{"\\u043a\\u043b\\u044e\\u0447":"\\u00e9"}}');
  });

  it('leaves a body of printable ASCII exactly as JSON.stringify writes it', () => {
    const message = { taskId: 'order-7', payload: { note: 'a "quoted" \\ path/to' } };

    expect(encodeMessageBody(message)).to.equal(JSON.stringify(message));
  });

  for (const char of EDGE_CHARACTERS) {
    const code = [...char].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
    it(`carries ${code} in a form SQS accepts and decodes it to the same string`, () => {
      const body = encodeMessageBody({ s: `a${char}b` });

      expect(SQS_BODY_CHARACTERS.test(body)).to.equal(true);
      expect(JSON.parse(body)).to.deep.equal({ s: `a${char}b` });
    });
  }

  it('property: for every payload the API accepts, each message is SQS-valid (characters, size) and decodes equal', () => {
    fc.assert(
      fc.property(edgeString(20), payloadArbitrary, (taskId, payload) => {
        const request = accepted(JSON.stringify({ taskId, payload })) ?? accepted(JSON.stringify({ taskId: 'task-1', payload }));
        fc.pre(request !== undefined);
        for (const message of messagesOf(request!)) {
          const body = encodeMessageBody(message);
          expect(SQS_BODY_CHARACTERS.test(body), body).to.equal(true);
          expect(Buffer.byteLength(body)).to.be.at.most(MAX_MESSAGE_BYTES);
          expect(JSON.parse(body)).to.deep.equal(message);
        }
      }),
      RUNS,
    );
  });

  // The densest expansion: a 2-byte UTF-8 character becomes a 6-byte escape, a 4-byte one 12 bytes (3x).
  for (const [what, char] of [
    ['U+0080 (2 bytes, 6 escaped)', '\u0080'],
    ['an emoji (4 bytes, 12 escaped)', '😀'],
  ]) {
    it(`fits the largest body the API accepts, all ${what}, with the longest error, in one SQS message`, () => {
      const skeleton = JSON.stringify({ taskId: 'x'.repeat(128), payload: { s: '' } });
      const fill = char.repeat(Math.floor((MAX_BODY_BYTES - Buffer.byteLength(skeleton)) / Buffer.byteLength(char)));
      const request = accepted(JSON.stringify({ taskId: 'x'.repeat(128), payload: { s: fill } }))!;
      const longestError = 'é'.repeat(MAX_ERROR_MESSAGE_LENGTH + 1);

      const sizes = messagesOf(request, longestError).map((m) => Buffer.byteLength(encodeMessageBody(m)));

      expect(request, 'the API accepts the body').to.not.equal(undefined);
      expect(Math.max(...sizes)).to.be.greaterThan(2.9 * MAX_BODY_BYTES);
      expect(Math.max(...sizes)).to.be.at.most(MAX_MESSAGE_BYTES - 1024);
    });
  }

  it('property: parsing any body text answers a request or a 4xx error, never anything else (a 500)', () => {
    const bodies = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          { taskId: fc.oneof(edgeString(), fc.jsonValue()), payload: fc.oneof(payloadArbitrary, fc.jsonValue()) },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc.constantFrom('false', 'null', '0', '1e400', '{"taskId":"a","payload":{"n":-1e999}}', '{"taskId":"..","payload":{}}', '\ufeff{}'),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        accepted(body);
      }),
      RUNS,
    );
  });
});
