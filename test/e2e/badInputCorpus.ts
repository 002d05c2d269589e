/**
 * Malformed requests a public HTTP API meets, each with the answer a user should get:
 * a 4xx JSON error that names the problem. Nothing in here may write a task.
 */
export interface BadRequest {
  name: string;
  method: string;
  path: string;
  /** Raw body bytes or text, sent as is. */
  body?: string | Buffer;
  /** Defaults to application/json when there is a body. */
  contentType?: string | null;
  /** null: no key; undefined: the stack's key. */
  apiKey?: string | null;
  status: number;
  /** Text the error must contain (message, code or a detail's field), case-insensitive. */
  names: string;
}

const post = (name: string, body: string | Buffer, status: number, names: string, extra: Partial<BadRequest> = {}): BadRequest => ({
  name,
  method: 'POST',
  path: '/tasks',
  body,
  status,
  names,
  ...extra,
});
const json = (value: unknown) => JSON.stringify(value);
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

export const BAD_REQUESTS: BadRequest[] = [
  // Not JSON, or not a JSON object
  post('truncated JSON', '{"taskId": "bad-1", "payload": {', 400, 'not valid JSON'),
  post('trailing comma', '{"taskId": "bad-2", "payload": {},}', 400, 'not valid JSON'),
  post('single quotes', "{'taskId': 'bad-3', 'payload': {}}", 400, 'not valid JSON'),
  post('bare word', 'undefined', 400, 'not valid JSON'),
  post('NaN', 'NaN', 400, 'not valid JSON'),
  post('empty body', '', 400, 'empty'),
  post('whitespace body', '   \n\t ', 400, 'empty'),
  post('trailing garbage', '{"taskId":"bad-4","payload":{}} x', 400, 'not valid JSON'),
  post('byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"taskId":"bad-5","payload":{}}')]), 400, 'not valid JSON'),
  // serverless-offline passes a body of `null` on as empty and a JSON string unquoted; either
  // way the answer is a 400 naming the body (on AWS: "must be a JSON object").
  post('JSON null', 'null', 400, '"field":"body"'),
  post('JSON array', '[{"taskId":"bad-6","payload":{}}]', 400, 'must be a JSON object'),
  post('JSON string', '"bad-7"', 400, '"field":"body"'),
  post('JSON number', '42', 400, 'must be a JSON object'),
  post('JSON boolean', 'true', 400, 'must be a JSON object'),
  // Missing and wrong-typed fields
  post('missing taskId', json({ payload: {} }), 400, 'taskId'),
  post('missing payload', json({ taskId: 'bad-8' }), 400, 'payload'),
  post('empty object', '{}', 400, 'taskId'),
  post('taskId number', json({ taskId: 9, payload: {} }), 400, 'taskId'),
  post('taskId null', json({ taskId: null, payload: {} }), 400, 'taskId'),
  post('taskId array', json({ taskId: ['bad-9'], payload: {} }), 400, 'taskId'),
  post('taskId object', json({ taskId: { id: 'bad-10' }, payload: {} }), 400, 'taskId'),
  post('taskId boolean', json({ taskId: true, payload: {} }), 400, 'taskId'),
  // taskId content
  post('empty taskId', json({ taskId: '', payload: {} }), 400, 'taskId'),
  post('taskId of 129 characters', json({ taskId: 'b'.repeat(129), payload: {} }), 400, 'at most 128'),
  post('taskId of 10,000 characters', json({ taskId: 'b'.repeat(10_000), payload: {} }), 400, 'at most 128'),
  post('taskId with a space', json({ taskId: 'bad 11', payload: {} }), 400, 'taskId'),
  post('taskId with a slash', json({ taskId: 'bad/12', payload: {} }), 400, 'taskId'),
  post('taskId with #', json({ taskId: 'bad#13', payload: {} }), 400, 'taskId'),
  post('taskId with ?', json({ taskId: 'bad?14', payload: {} }), 400, 'taskId'),
  post('taskId with %2F', json({ taskId: 'bad%2F15', payload: {} }), 400, 'taskId'),
  post('taskId with a newline', json({ taskId: 'bad\n16', payload: {} }), 400, 'taskId'),
  post('taskId with a NUL', json({ taskId: 'bad\u000017', payload: {} }), 400, 'taskId'),
  post('taskId with an accented letter', json({ taskId: 'bád-18', payload: {} }), 400, 'taskId'),
  post('taskId with an emoji', json({ taskId: 'bad-😀', payload: {} }), 400, 'taskId'),
  post('taskId with a right-to-left override', json({ taskId: 'bad-\u202e19', payload: {} }), 400, 'taskId'),
  post('taskId with a zero-width space', json({ taskId: 'bad-\u200b20', payload: {} }), 400, 'taskId'),
  post('taskId with fullwidth letters', json({ taskId: 'ｂａｄ21', payload: {} }), 400, 'taskId'),
  post('taskId with an unpaired surrogate', '{"taskId":"bad-\\ud800","payload":{}}', 400, 'taskId'),
  post('taskId as invalid UTF-8 bytes', Buffer.concat([Buffer.from('{"taskId":"bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('","payload":{}}')]), 400, 'taskId'),
  // payload shape and content
  post('payload array', json({ taskId: 'bad-22', payload: [1, 2] }), 400, 'payload'),
  post('payload null', json({ taskId: 'bad-23', payload: null }), 400, 'payload'),
  post('payload string', json({ taskId: 'bad-24', payload: 'x' }), 400, 'payload'),
  post('payload number', json({ taskId: 'bad-25', payload: 1 }), 400, 'payload'),
  post('payload boolean', json({ taskId: 'bad-26', payload: false }), 400, 'payload'),
  post('payload nested 40 levels', `{"taskId":"bad-27","payload":${nested(40)}}`, 400, 'deeper than'),
  post('payload nested 5,000 levels', `{"taskId":"bad-28","payload":${nested(5000)}}`, 400, 'deeper than'),
  post('__proto__ key in payload', '{"taskId":"bad-29","payload":{"__proto__":{"admin":true}}}', 400, '__proto__'),
  post('constructor key nested in payload', '{"taskId":"bad-30","payload":{"a":{"constructor":{"prototype":{}}}}}', 400, 'constructor'),
  post('prototype key in an array item', '{"taskId":"bad-31","payload":{"items":[{"prototype":1}]}}', 400, 'prototype'),
  post('__proto__ as a top-level field', '{"taskId":"bad-32","payload":{},"__proto__":{}}', 400, '__proto__'),
  post('unpaired surrogate in a payload value', '{"taskId":"bad-33","payload":{"a":"\\udc00"}}', 400, 'surrogate'),
  post('unpaired surrogate in a payload key', '{"taskId":"bad-34","payload":{"\\ud800":1}}', 400, 'surrogate'),
  // Extra fields
  post('one unknown field', json({ taskId: 'bad-35', payload: {}, priority: 1 }), 400, 'priority'),
  post('several unknown fields', json({ taskId: 'bad-36', payload: {}, status: 'SUCCEEDED', attempts: 0 }), 400, 'status'),
  post('misspelt field', json({ taskID: 'bad-37', payload: {} }), 400, 'taskID'),
  // Size
  post('body over the maximum', json({ taskId: 'bad-38', payload: { blob: 'x'.repeat(250_000) } }), 413, 'maximum'),
  post('multi-byte body over the maximum in bytes', json({ taskId: 'bad-39', payload: { blob: 'é'.repeat(130_000) } }), 413, 'maximum'),
  // Content type
  post('text/plain', json({ taskId: 'bad-40', payload: {} }), 415, 'application/json', { contentType: 'text/plain' }),
  post('form encoded', 'taskId=bad-41&payload=x', 415, 'application/json', { contentType: 'application/x-www-form-urlencoded' }),
  post('multipart', '--x\r\n\r\n--x--', 415, 'application/json', { contentType: 'multipart/form-data; boundary=x' }),
  post('XML', '<task id="bad-42"/>', 415, 'application/json', { contentType: 'application/xml' }),
  post('JSON body declared as text/json', json({ taskId: 'bad-43', payload: {} }), 415, 'application/json', { contentType: 'text/json' }),
  // Wrong methods and paths
  { name: 'PUT /tasks', method: 'PUT', path: '/tasks', body: json({ taskId: 'bad-44', payload: {} }), status: 404, names: 'not found' },
  { name: 'DELETE /tasks/{id}', method: 'DELETE', path: '/tasks/bad-45', status: 404, names: 'not found' },
  { name: 'PATCH /tasks', method: 'PATCH', path: '/tasks', body: '{}', status: 404, names: 'not found' },
  { name: 'POST /tasks/{id}', method: 'POST', path: '/tasks/bad-46', body: '{}', status: 404, names: 'not found' },
  { name: 'unknown path', method: 'GET', path: '/nope', status: 404, names: 'not found' },
  { name: 'GET with a malformed taskId', method: 'GET', path: '/tasks/bad%20id', status: 400, names: 'taskId' },
  { name: 'GET with a 129-character taskId', method: 'GET', path: `/tasks/${'b'.repeat(129)}`, status: 400, names: 'taskId' },
  { name: 'GET an unknown task', method: 'GET', path: '/tasks/bad-never-submitted', status: 404, names: 'does not exist' },
  { name: 'list without status', method: 'GET', path: '/tasks', status: 400, names: 'status' },
  { name: 'list with an unknown status', method: 'GET', path: '/tasks?status=DONE', status: 400, names: 'status' },
  { name: 'list with limit 0', method: 'GET', path: '/tasks?status=FAILED&limit=0', status: 400, names: 'limit' },
  { name: 'list with limit 1000', method: 'GET', path: '/tasks?status=FAILED&limit=1000', status: 400, names: 'limit' },
  { name: 'list with a forged cursor', method: 'GET', path: '/tasks?status=FAILED&cursor=eyJoYWNrIjoxfQ', status: 400, names: 'cursor' },
  { name: 'list with an unknown parameter', method: 'GET', path: '/tasks?status=FAILED&sort=asc', status: 400, names: 'sort' },
  { name: 'redrive a malformed taskId', method: 'POST', path: '/tasks/bad%20id/redrive', status: 400, names: 'taskId' },
  { name: 'redrive an unknown task', method: 'POST', path: '/tasks/bad-never-submitted/redrive', status: 404, names: 'does not exist' },
  // Authentication
  post('wrong API key', json({ taskId: 'bad-47', payload: {} }), 403, 'forbidden', { apiKey: 'not-the-key-0123456789' }),
  post('no API key', json({ taskId: 'bad-48', payload: {} }), 403, 'forbidden', { apiKey: null }),
  post('API key in the wrong header', json({ taskId: 'bad-49', payload: {} }), 403, 'forbidden', { apiKey: null }),
];
