import { expect } from 'chai';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../../../lib/domain/errors';
import {
  assertTaskId,
  MAX_PAYLOAD_DEPTH,
  parseListQuery,
  parseSubmitRequest,
  pathTaskId,
  type RawHttpRequest,
} from '../../../../lib/lambda/validation';
import { taskIdProblem } from '../../../../lib/domain/taskId';
import { registryFor } from '../../../../lib/types/registry';
import { testConfig } from '../../../helpers/factories';

/** The stage's task types, as the handler passes them. */
const TYPES = registryFor(testConfig(), () => 0.5);

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const MAX_BYTES = 240 * 1024;

/** A POST /tasks request carrying a raw body string (never re-serialised, so `__proto__` and lone surrogates survive). */
function rawRequest(
  body: string | null,
  headers: Record<string, string> | null = JSON_HEADERS,
  isBase64Encoded = false,
): RawHttpRequest & { body: string | null } {
  return { headers, body, isBase64Encoded };
}

/** A POST /tasks request whose body is the JSON of `body`. */
function jsonRequest(body: unknown, headers: Record<string, string> | null = JSON_HEADERS): RawHttpRequest & { body: string | null } {
  return rawRequest(JSON.stringify(body), headers);
}

/** The error fn throws; fails the test when it throws nothing. */
function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  expect.fail('expected an error to be thrown');
}

/** The ValidationError that parsing the request throws. */
function validationErrorFor(request: RawHttpRequest, maxBodyBytes = MAX_BYTES): ValidationError {
  const error = thrownBy(() => parseSubmitRequest(request, maxBodyBytes, TYPES));
  expect(error).to.be.instanceOf(ValidationError);
  return error as ValidationError;
}

/** `{"a":{"a":...{}}}` with `levels` nested objects below the outermost one. */
function nestedObject(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i += 1) value = { a: value };
  return value;
}

describe('validation', () => {
  describe('taskIdProblem', () => {
    it('accepts a taskId of exactly 1 character', () => {
      const problem = taskIdProblem('a');

      expect(problem).to.equal(undefined);
    });

    it('accepts a taskId of exactly 128 characters', () => {
      const problem = taskIdProblem('x'.repeat(128));

      expect(problem).to.equal(undefined);
    });

    it('refuses a taskId of 129 characters and states the limit and the length', () => {
      const problem = taskIdProblem('x'.repeat(129));

      expect(problem).to.equal('must be at most 128 characters, got 129');
    });

    it('refuses an empty taskId', () => {
      const problem = taskIdProblem('');

      expect(problem).to.equal('must not be empty');
    });

    it('accepts every letter, digit and the characters - _ . :', () => {
      const ids = ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz', '0123456789', 'a-b_c.d:e', '-_.:', 'order:2026-01-01_v1.2'];

      const problems = ids.map(taskIdProblem);

      expect(problems).to.deep.equal(ids.map(() => undefined));
    });

    const forbidden: [string, string][] = [
      ['a space', 'order 42'],
      ['a slash', 'orders/42'],
      ['a hash', 'order#42'],
      ['an accented letter', 'café'],
      ['a non-Latin letter', '注文'],
      ['an emoji', 'order-😀'],
      ['a trailing newline', 'order-42\n'],
      ['a percent-encoded character', 'order%2F42'],
    ];
    for (const [what, id] of forbidden) {
      it(`refuses a taskId containing ${what}`, () => {
        const problem = taskIdProblem(id);

        expect(problem).to.equal('may contain only letters, digits and - _ . :');
      });
    }

    for (const id of ['.', '..']) {
      it(`refuses the taskId '${id}', a path segment URLs normalise away`, () => {
        const problem = taskIdProblem(id);

        expect(problem).to.equal(`must not be '${id}' (a URL path segment that clients and gateways remove)`);
      });
    }

    it('accepts taskIds made of dots that URLs keep, such as ... and .a', () => {
      expect([taskIdProblem('...'), taskIdProblem('.a'), taskIdProblem('a..')]).to.deep.equal([undefined, undefined, undefined]);
    });

    const wrongTypes: [string, unknown][] = [
      ['number', 42],
      ['null', null],
      ['array', ['a']],
      ['object', { id: 'a' }],
      ['undefined', undefined],
    ];
    for (const [type, value] of wrongTypes) {
      it(`refuses a taskId that is a ${type} and names that type`, () => {
        const problem = taskIdProblem(value);

        expect(problem).to.equal(`must be a string, got ${type}`);
      });
    }
  });

  describe('assertTaskId', () => {
    it('returns without throwing for a valid taskId', () => {
      expect(() => assertTaskId('order-42')).not.to.throw();
    });

    it('throws a ValidationError whose details name the field and the problem', () => {
      const error = thrownBy(() => assertTaskId('a/b'));

      expect(error).to.be.instanceOf(ValidationError);
      expect((error as ValidationError).details).to.deep.equal([
        { field: 'taskId', problem: 'may contain only letters, digits and - _ . :' },
      ]);
      expect(error.message).to.equal('taskId may contain only letters, digits and - _ . :');
    });

    it('names the given field (such as a path parameter) in the error', () => {
      const error = thrownBy(() => assertTaskId('x'.repeat(129), 'path.taskId'));

      expect((error as ValidationError).details).to.deep.equal([
        { field: 'path.taskId', problem: 'must be at most 128 characters, got 129' },
      ]);
      expect(error.message).to.match(/^path\.taskId /);
    });
  });

  describe('parseSubmitRequest', () => {
    describe('valid requests', () => {
      it('returns the taskId and payload of a valid request', () => {
        const request = jsonRequest({ taskId: 'order-42', payload: { sku: 'A1', qty: 2, tags: ['x'] } });

        const result = parseSubmitRequest(request, MAX_BYTES, TYPES);

        expect(result).to.deep.equal({ taskId: 'order-42', payload: { sku: 'A1', qty: 2, tags: ['x'] } });
      });

      it('accepts an empty payload object', () => {
        const result = parseSubmitRequest(jsonRequest({ taskId: 't', payload: {} }), MAX_BYTES, TYPES);

        expect(result.payload).to.deep.equal({});
      });

      it('accepts emoji and CJK text in payload values and keys and returns it unchanged', () => {
        const payload = { note: '注文を確認 😀👍🏽', 名前: '山田', flag: '🇫🇷' };

        const result = parseSubmitRequest(jsonRequest({ taskId: 't', payload }), MAX_BYTES, TYPES);

        expect(result.payload).to.deep.equal(payload);
      });

      it('accepts a surrogate pair written as JSON escapes (a valid emoji)', () => {
        const result = parseSubmitRequest(rawRequest('{"taskId":"t","payload":{"e":"\\ud83d\\ude00"}}'), MAX_BYTES, TYPES);

        expect(result.payload).to.deep.equal({ e: '😀' });
      });
    });

    describe('Content-Type', () => {
      it('answers 415 (UnsupportedMediaTypeError) when the Content-Type header is missing', () => {
        const error = thrownBy(() => parseSubmitRequest(jsonRequest({ taskId: 't', payload: {} }, {}), MAX_BYTES, TYPES));

        expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
        expect(error.message).to.equal('Content-Type must be application/json, got none');
      });

      it('answers 415 when there are no headers at all', () => {
        const error = thrownBy(() => parseSubmitRequest(jsonRequest({ taskId: 't', payload: {} }, null), MAX_BYTES, TYPES));

        expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
      });

      it('answers 415 for text/plain and quotes the header it got', () => {
        const error = thrownBy(() =>
          parseSubmitRequest(jsonRequest({ taskId: 't', payload: {} }, { 'Content-Type': 'text/plain' }), MAX_BYTES, TYPES),
        );

        expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
        expect(error.message).to.contain("'text/plain'");
      });

      for (const contentType of ['application/x-www-form-urlencoded', 'application/jsonp', 'application/json-seq', 'multipart/form-data']) {
        it(`answers 415 for ${contentType}`, () => {
          const error = thrownBy(() =>
            parseSubmitRequest(jsonRequest({ taskId: 't', payload: {} }, { 'Content-Type': contentType }), MAX_BYTES, TYPES),
          );

          expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
        });
      }

      const accepted: [string, Record<string, string>][] = [
        ['application/json with a charset parameter', { 'Content-Type': 'application/json; charset=utf-8' }],
        ['a lower-case header name', { 'content-type': 'application/json' }],
        ['an upper-case header name', { 'CONTENT-TYPE': 'application/json' }],
        ['an upper-case media type', { 'Content-Type': 'Application/JSON' }],
        ['a +json structured-syntax media type', { 'Content-Type': 'application/vnd.api+json' }],
      ];
      for (const [what, headers] of accepted) {
        it(`accepts ${what}`, () => {
          const result = parseSubmitRequest(jsonRequest({ taskId: 't', payload: { a: 1 } }, headers), MAX_BYTES, TYPES);

          expect(result).to.deep.equal({ taskId: 't', payload: { a: 1 } });
        });
      }
    });

    describe('body size', () => {
      it('accepts a body of exactly maxBodyBytes', () => {
        const request = jsonRequest({ taskId: 't', payload: { pad: 'x'.repeat(100) } });
        const exactSize = request.body!.length; // ASCII only: one byte per character

        const result = parseSubmitRequest(request, exactSize, TYPES);

        expect(result.taskId).to.equal('t');
      });

      it('refuses a body one byte over maxBodyBytes with PayloadTooLargeError carrying both sizes', () => {
        const request = jsonRequest({ taskId: 't', payload: { pad: 'x'.repeat(100) } });
        const max = request.body!.length - 1;

        const error = thrownBy(() => parseSubmitRequest(request, max, TYPES));

        expect(error).to.be.instanceOf(PayloadTooLargeError);
        expect(error).to.include({ sizeBytes: max + 1, maxBytes: max });
        expect(error.message).to.equal(`request body is ${max + 1} bytes; the maximum is ${max} bytes`);
      });

      it('counts multi-byte characters in UTF-8 bytes, not in characters', () => {
        // 'é' is 2 bytes, '€' 3 bytes, '😀' 4 bytes (2 UTF-16 units): 1 + 2 + 2 extra bytes over body.length.
        const request = jsonRequest({ taskId: 't', payload: { s: 'é€😀' } });
        const bytes = request.body!.length + 1 + 2 + 2;

        const error = thrownBy(() => parseSubmitRequest(request, bytes - 1, TYPES));
        const result = parseSubmitRequest(request, bytes, TYPES);

        expect(error).to.be.instanceOf(PayloadTooLargeError);
        expect(error).to.include({ sizeBytes: bytes });
        expect(result.payload).to.deep.equal({ s: 'é€😀' });
      });

      it('checks the size before parsing, so an oversized invalid body is a 413 and not a 400', () => {
        const error = thrownBy(() => parseSubmitRequest(rawRequest(`{not json${' '.repeat(50)}`), 10, TYPES));

        expect(error).to.be.instanceOf(PayloadTooLargeError);
      });
    });

    describe('base64-encoded bodies', () => {
      it('decodes a base64 body (isBase64Encoded) before parsing it', () => {
        const json = JSON.stringify({ taskId: 't', payload: { note: 'héllo 😀' } });

        const result = parseSubmitRequest(rawRequest(Buffer.from(json, 'utf8').toString('base64'), JSON_HEADERS, true), MAX_BYTES, TYPES);

        expect(result).to.deep.equal({ taskId: 't', payload: { note: 'héllo 😀' } });
      });

      it('measures the size of the decoded body, not of its base64 text', () => {
        const json = JSON.stringify({ taskId: 't', payload: { pad: 'x'.repeat(300) } });
        const encoded = Buffer.from(json, 'utf8').toString('base64');

        const result = parseSubmitRequest(rawRequest(encoded, JSON_HEADERS, true), json.length, TYPES);
        const error = thrownBy(() => parseSubmitRequest(rawRequest(encoded, JSON_HEADERS, true), json.length - 1, TYPES));

        expect(encoded.length).to.be.greaterThan(json.length);
        expect(result.taskId).to.equal('t');
        expect(error).to.include({ sizeBytes: json.length, maxBytes: json.length - 1 });
      });
    });

    describe('body syntax', () => {
      for (const [what, body] of [
        ['an empty body', ''],
        ['a null body', null],
        ['a whitespace-only body', ' \n\t '],
      ] as const) {
        it(`refuses ${what} with a 400 saying the body is empty`, () => {
          const error = validationErrorFor(rawRequest(body));

          expect(error.details).to.deep.equal([{ field: 'body', problem: 'is empty' }]);
          expect(error.message).to.contain('empty');
        });
      }

      it('refuses invalid JSON with a message saying it is not valid JSON', () => {
        const error = validationErrorFor(rawRequest('{"taskId": "t", "payload": {'));

        expect(error.message).to.match(/^request body is not valid JSON: /);
        expect(error.details).to.have.length(1);
        expect(error.details[0].field).to.equal('body');
        expect(error.details[0].problem).to.match(/^is not valid JSON/);
      });

      const notObjects: [string, string][] = [
        ['array', '[{"taskId":"t","payload":{}}]'],
        ['null', 'null'],
        ['string', '"hello"'],
        ['number', '42'],
        ['boolean', 'true'],
      ];
      for (const [type, body] of notObjects) {
        it(`refuses a body that is a JSON ${type} and names the type`, () => {
          const error = validationErrorFor(rawRequest(body));

          expect(error.details).to.deep.equal([{ field: 'body', problem: `must be a JSON object, got ${type}` }]);
        });
      }

      // serverless-offline handed the handler `false` itself for a body of `false` (a 500 before).
      const nonStringBodies: [string, unknown][] = [
        ['boolean', false],
        ['boolean', true],
        ['number', 0],
        ['array', []],
      ];
      for (const [type, body] of nonStringBodies) {
        it(`refuses a body that arrives as a ${type} value (${JSON.stringify(body)}) instead of a string with a 400 naming the type`, () => {
          const error = validationErrorFor({ headers: JSON_HEADERS, body });

          expect(error.details).to.deep.equal([{ field: 'body', problem: `must be a JSON object, got ${type}` }]);
        });
      }
    });

    describe('fields', () => {
      it('names both taskId and payload when the body is an empty object', () => {
        const error = validationErrorFor(jsonRequest({}));

        expect(error.details).to.deep.equal([
          { field: 'taskId', problem: 'is required' },
          { field: 'payload', problem: 'is required' },
        ]);
      });

      it('names a missing payload', () => {
        const error = validationErrorFor(jsonRequest({ taskId: 't' }));

        expect(error.details).to.deep.equal([{ field: 'payload', problem: 'is required' }]);
      });

      it('names a missing taskId', () => {
        const error = validationErrorFor(jsonRequest({ payload: {} }));

        expect(error.details).to.deep.equal([{ field: 'taskId', problem: 'is required' }]);
      });

      it('names each unknown top-level field in the details', () => {
        const error = validationErrorFor(jsonRequest({ taskId: 't', payload: {}, priority: 1, callbackUrl: 'http://x' }));

        expect(error.details.map((d) => d.field)).to.have.members(['priority', 'callbackUrl']);
        expect(error.details.every((d) => d.problem === 'is not a known field (expected taskId, payload, type, delaySeconds)')).to.equal(
          true,
        );
        expect(error.message).to.contain('priority').and.to.contain('callbackUrl');
      });

      it('refuses a top-level __proto__ field as unknown', () => {
        const error = validationErrorFor(rawRequest('{"taskId":"t","payload":{},"__proto__":{"admin":true}}'));

        expect(error.details.map((d) => d.field)).to.deep.equal(['__proto__']);
      });

      const badTaskIds: [string, unknown, string][] = [
        ['a number', 42, 'must be a string, got number'],
        ['null', null, 'must be a string, got null'],
        ['an array', ['t'], 'must be a string, got array'],
        ['an empty string', '', 'must not be empty'],
        ['a string of 129 characters', 'x'.repeat(129), 'must be at most 128 characters, got 129'],
        ['a string containing a slash', 'a/b', 'may contain only letters, digits and - _ . :'],
      ];
      for (const [what, taskId, problem] of badTaskIds) {
        it(`refuses a taskId that is ${what}`, () => {
          const error = validationErrorFor(jsonRequest({ taskId, payload: {} }));

          expect(error.details).to.deep.equal([{ field: 'taskId', problem }]);
        });
      }

      const badPayloads: [string, string, unknown][] = [
        ['an array', 'array', [1, 2]],
        ['null', 'null', null],
        ['a string', 'string', '{"a":1}'],
        ['a number', 'number', 7],
        ['a boolean', 'boolean', false],
      ];
      for (const [what, type, payload] of badPayloads) {
        it(`refuses a payload that is ${what} and names the type`, () => {
          const error = validationErrorFor(jsonRequest({ taskId: 't', payload }));

          expect(error.details).to.deep.equal([{ field: 'payload', problem: `must be a JSON object, got ${type}` }]);
        });
      }

      it('reports problems with several fields at once', () => {
        const error = validationErrorFor(jsonRequest({ taskId: 5, payload: [], extra: 1 }));

        expect(error.details.map((d) => d.field)).to.have.members(['extra', 'taskId', 'payload']);
      });

      it('names a bad taskId and the problems inside the payload in one answer, unknown fields first', () => {
        const error = validationErrorFor(rawRequest('{"taskId":"a/b","payload":{"note":"\\ud800","n":1e400},"extra":1}'));

        expect(error.details).to.deep.equal([
          { field: 'extra', problem: 'is not a known field (expected taskId, payload, type, delaySeconds)' },
          { field: 'taskId', problem: 'may contain only letters, digits and - _ . :' },
          { field: 'payload.note', problem: 'contains an unpaired UTF-16 surrogate' },
          { field: 'payload.n', problem: 'is a number too large for a double (it would not survive storage)' },
        ]);
      });

      it('stops searching the payload once 10 problems are reported, counting the unknown fields before it', () => {
        const extras = Array.from({ length: 9 }, (_, i) => `"x${i}":1`).join(',');

        const error = validationErrorFor(rawRequest(`{${extras},"taskId":"t","payload":{"a":"\\ud800","b":"\\ud800","c":"\\ud800"}}`));

        expect(error.details.map((d) => d.field)).to.deep.equal([...Array.from({ length: 9 }, (_, i) => `x${i}`), 'payload.a']);
      });
    });

    describe('payload shape', () => {
      it(`accepts a payload nested exactly ${MAX_PAYLOAD_DEPTH} levels deep (the payload object being level 1)`, () => {
        const payload = nestedObject(MAX_PAYLOAD_DEPTH - 1);

        const result = parseSubmitRequest(jsonRequest({ taskId: 't', payload }), MAX_BYTES, TYPES);

        expect(result.payload).to.deep.equal(payload);
      });

      it(`refuses a payload nested ${MAX_PAYLOAD_DEPTH + 1} levels deep and names the path where it got too deep`, () => {
        const payload = nestedObject(MAX_PAYLOAD_DEPTH);

        const error = validationErrorFor(jsonRequest({ taskId: 't', payload }));

        expect(error.details).to.deep.equal([
          { field: `payload${'.a'.repeat(MAX_PAYLOAD_DEPTH)}`, problem: `nests deeper than ${MAX_PAYLOAD_DEPTH} levels` },
        ]);
      });

      it('counts nested arrays as levels too and names the path with indexes', () => {
        let deep: unknown = [];
        for (let i = 0; i < MAX_PAYLOAD_DEPTH - 1; i += 1) deep = [deep];

        const error = validationErrorFor(jsonRequest({ taskId: 't', payload: { list: deep } }));

        expect(error.details).to.deep.equal([
          { field: `payload.list${'[0]'.repeat(MAX_PAYLOAD_DEPTH - 1)}`, problem: `nests deeper than ${MAX_PAYLOAD_DEPTH} levels` },
        ]);
      });

      it('refuses a very deeply nested payload (10,000 levels) with a 400 rather than crashing', () => {
        const body = `{"taskId":"t","payload":${'{"a":'.repeat(10_000)}{}${'}'.repeat(10_000)}}`;

        const error = validationErrorFor(rawRequest(body));

        expect(error.details).to.have.length(1);
        expect(error.details[0].problem).to.equal(`nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
      });

      const forbiddenKeys: [string, string, string, string][] = [
        ['__proto__ at the top of the payload', '__proto__', '{"__proto__":{"isAdmin":true}}', 'payload.__proto__'],
        ['__proto__ nested in an object', '__proto__', '{"user":{"__proto__":{"isAdmin":true}}}', 'payload.user.__proto__'],
        ['__proto__ inside an array element', '__proto__', '{"items":[{"ok":1},{"__proto__":{"x":1}}]}', 'payload.items[1].__proto__'],
        ['constructor', 'constructor', '{"a":{"constructor":{"prototype":{"x":1}}}}', 'payload.a.constructor'],
        ['prototype', 'prototype', '{"a":{"b":{"prototype":1}}}', 'payload.a.b.prototype'],
      ];
      for (const [what, key, payloadJson, field] of forbiddenKeys) {
        it(`refuses the key ${what} and names its path`, () => {
          const error = validationErrorFor(rawRequest(`{"taskId":"t","payload":${payloadJson}}`));

          expect(error.details).to.deep.equal([{ field, problem: `key '${key}' is not allowed` }]);
        });
      }

      it('accepts keys that merely contain a forbidden word', () => {
        const payload = { proto: 1, __proto: 2, constructorName: 'x', prototypes: [] };

        const result = parseSubmitRequest(jsonRequest({ taskId: 't', payload }), MAX_BYTES, TYPES);

        expect(result.payload).to.deep.equal(payload);
      });

      it('refuses an unpaired high surrogate in a payload value and names the path', () => {
        const error = validationErrorFor(rawRequest('{"taskId":"t","payload":{"note":"abc\\ud800"}}'));

        expect(error.details).to.deep.equal([{ field: 'payload.note', problem: 'contains an unpaired UTF-16 surrogate' }]);
      });

      it('refuses an unpaired low surrogate inside an array value and names the index', () => {
        const error = validationErrorFor(rawRequest('{"taskId":"t","payload":{"list":["fine","\\udc00x"]}}'));

        expect(error.details).to.deep.equal([{ field: 'payload.list[1]', problem: 'contains an unpaired UTF-16 surrogate' }]);
      });

      it('refuses an unpaired surrogate in a payload key and names the object holding it', () => {
        const error = validationErrorFor(rawRequest('{"taskId":"t","payload":{"nested":{"\\ud800":1}}}'));

        expect(error.details).to.deep.equal([{ field: 'payload.nested', problem: 'has a key with an unpaired UTF-16 surrogate' }]);
      });

      const nonFinite: [string, string][] = [
        ['1e400', 'payload.n'],
        ['-1e400', 'payload.n'],
        ['[1, 2e308]', 'payload.n[1]'],
      ];
      for (const [literal, field] of nonFinite) {
        it(`refuses the number ${literal}, which no double holds, and names ${field}`, () => {
          const error = validationErrorFor(rawRequest(`{"taskId":"t","payload":{"n":${literal}}}`));

          expect(error.details).to.deep.equal([{ field, problem: 'is a number too large for a double (it would not survive storage)' }]);
        });
      }

      it('accepts the largest double and the smallest subnormal', () => {
        const result = parseSubmitRequest(
          rawRequest('{"taskId":"t","payload":{"max":1.7976931348623157e308,"min":5e-324}}'),
          MAX_BYTES,
          TYPES,
        );

        expect(result.payload).to.deep.equal({ max: Number.MAX_VALUE, min: Number.MIN_VALUE });
      });

      it('refuses an unpaired surrogate in the taskId', () => {
        const error = validationErrorFor(rawRequest('{"taskId":"a\\ud800","payload":{}}'));

        expect(error.details.map((d) => d.field)).to.deep.equal(['taskId']);
      });
    });
  });

  describe('pathTaskId', () => {
    it('returns the taskId path parameter as given when it is not encoded', () => {
      const taskId = pathTaskId({ pathParameters: { taskId: 'order:42' } });

      expect(taskId).to.equal('order:42');
    });

    it('URL-decodes an encoded path parameter', () => {
      const taskId = pathTaskId({ pathParameters: { taskId: 'order%3A42' } });

      expect(taskId).to.equal('order:42');
    });

    it('returns a malformed encoding unchanged, so taskId validation refuses it', () => {
      const taskId = pathTaskId({ pathParameters: { taskId: 'order%E0%A4%A' } });

      expect(taskId).to.equal('order%E0%A4%A');
      expect(taskIdProblem(taskId)).to.not.equal(undefined);
    });

    it('decodes once: a double-encoded parameter keeps its % and is refused as a taskId', () => {
      const taskId = pathTaskId({ pathParameters: { taskId: '%2541' } });

      expect(taskId).to.equal('%41');
      expect(taskIdProblem(taskId)).to.equal('may contain only letters, digits and - _ . :');
    });

    it('returns undefined without path parameters', () => {
      const taskId = pathTaskId({ pathParameters: null });

      expect(taskId).to.equal(undefined);
    });
  });

  describe('parseListQuery', () => {
    it('defaults the limit to 20', () => {
      const query = parseListQuery({ status: 'FAILED' });

      expect(query).to.deep.equal({ status: 'FAILED', limit: 20 });
    });

    it('accepts limits 1 and 100 and passes a cursor through', () => {
      const low = parseListQuery({ status: 'QUEUED', limit: '1', cursor: 'abc_-9' });
      const high = parseListQuery({ status: 'QUEUED', limit: '100' });

      expect(low).to.deep.equal({ status: 'QUEUED', limit: 1, cursor: 'abc_-9' });
      expect(high.limit).to.equal(100);
    });

    for (const limit of ['0', '101', '2.5', '-1', 'ten', '']) {
      it(`refuses limit '${limit}'`, () => {
        const error = thrownBy(() => parseListQuery({ status: 'FAILED', limit }));

        expect(error).to.be.instanceOf(ValidationError);
        expect((error as ValidationError).details).to.deep.equal([{ field: 'limit', problem: 'must be an integer from 1 to 100' }]);
      });
    }

    it('requires a status and names the allowed ones', () => {
      const error = thrownBy(() => parseListQuery(null)) as ValidationError;

      expect(error.details.map((d) => d.field)).to.deep.equal(['status']);
      expect(error.details[0].problem).to.contain('FAILED');
    });

    it('refuses an unknown status (statuses are upper case)', () => {
      const error = thrownBy(() => parseListQuery({ status: 'failed' })) as ValidationError;

      expect(error.details.map((d) => d.field)).to.deep.equal(['status']);
    });

    it('names each unknown query parameter and a cursor that is not URL-safe base64', () => {
      const error = thrownBy(() => parseListQuery({ status: 'FAILED', sort: 'asc', cursor: 'a+b/c=' })) as ValidationError;

      expect(error.details.map((d) => d.field)).to.have.members(['sort', 'cursor']);
    });
  });
});
