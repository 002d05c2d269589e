/**
 * Malformed requests a public HTTP API meets, each with the answer a user should get: a 4xx
 * JSON error that names the problem, from the function or from API Gateway itself. Nothing
 * in here may write a task. Paths are sent byte for byte (no dot-segment removal, no
 * re-encoding), as a raw HTTP client would send them.
 */
interface RequestSpec {
  name: string;
  method: string;
  path: string;
  /** Raw body bytes or text, sent as is. */
  body?: string | Buffer;
  /** Defaults to application/json when there is a body; null sends no Content-Type at all. */
  contentType?: string | null;
  /** null: no key; undefined: the stack's key. */
  apiKey?: string | null;
  /** The header the key goes in (default x-api-key). */
  apiKeyHeader?: string;
}

/** API Gateway's own error types that the corpus expects (see API_GATEWAY_DEFAULTS in localStack.test.ts). */
export type GatewayResponseType = 'INVALID_API_KEY' | 'MISSING_AUTHENTICATION_TOKEN' | 'REQUEST_TOO_LARGE';

/** Answered by a function: its status, and text the error must contain (message, code or a detail's field), case-insensitive. */
export type HandlerAnswer = { status: number; names: string; gateway?: undefined };
/** Answered by API Gateway before any function runs: status and body follow from the gateway responses of the template. */
export type GatewayAnswer = { gateway: GatewayResponseType; status?: undefined; names?: undefined };

export type BadRequest = RequestSpec & (HandlerAnswer | GatewayAnswer);

const post = (name: string, body: string | Buffer, status: number, names: string, extra: Partial<RequestSpec> = {}): BadRequest => ({
  name,
  method: 'POST',
  path: '/tasks',
  body,
  status,
  names,
  ...extra,
});
const postBatch = (name: string, body: string | Buffer, status: number, names: string, extra: Partial<RequestSpec> = {}): BadRequest =>
  post(name, body, status, names, { path: '/tasks/batch', ...extra });
const byGateway = (
  name: string,
  method: string,
  path: string,
  gateway: GatewayResponseType,
  extra: Partial<RequestSpec> = {},
): BadRequest => ({
  name,
  method,
  path,
  gateway,
  ...extra,
});
const json = (value: unknown) => JSON.stringify(value);
const validTask = (taskId: string) => json({ taskId, payload: {} });
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

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
  post(
    'byte-order mark',
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"taskId":"bad-5","payload":{}}')]),
    400,
    'not valid JSON',
  ),
  // API Gateway hands the function the raw body string, whatever JSON it holds.
  post('JSON null', 'null', 400, 'must be a JSON object, got null'),
  post('JSON array', '[{"taskId":"bad-6","payload":{}}]', 400, 'must be a JSON object'),
  post('JSON string', '"bad-7"', 400, 'must be a JSON object, got string'),
  post('JSON number', '42', 400, 'must be a JSON object'),
  post('JSON boolean', 'true', 400, 'must be a JSON object'),
  post('JSON false', 'false', 400, 'must be a JSON object, got boolean'),
  post('JSON zero', '0', 400, 'must be a JSON object, got number'),
  post('JSON string "x"', '"x"', 400, 'must be a JSON object, got string'),
  post('empty JSON array', '[]', 400, 'must be a JSON object, got array'),
  post('JSON null with a charset', 'null', 400, '"field":"body"', { contentType: 'application/json; charset=utf-8' }),
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
  post(
    'taskId as invalid UTF-8 bytes',
    Buffer.concat([Buffer.from('{"taskId":"bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('","payload":{}}')]),
    400,
    'taskId',
  ),
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
  post('non-finite number in the payload', '{"taskId":"bad-50","payload":{"n":1e400}}', 400, 'payload'),
  post('negative non-finite number deep in an array', '{"taskId":"bad-51","payload":{"a":[[{"n":-1e999}]]}}', 400, 'payload.a[0][0].n'),
  post('unpaired surrogate in a payload value', '{"taskId":"bad-33","payload":{"a":"\\udc00"}}', 400, 'surrogate'),
  post('unpaired surrogate in a payload key', '{"taskId":"bad-34","payload":{"\\ud800":1}}', 400, 'surrogate'),
  // Extra fields
  post('one unknown field', json({ taskId: 'bad-35', payload: {}, priority: 1 }), 400, 'priority'),
  post('several unknown fields', json({ taskId: 'bad-36', payload: {}, status: 'SUCCEEDED', attempts: 0 }), 400, 'status'),
  post('misspelt field', json({ taskID: 'bad-37', payload: {} }), 400, 'taskID'),
  // Size
  post('body over the maximum', json({ taskId: 'bad-38', payload: { blob: 'x'.repeat(250_000) } }), 413, 'maximum'),
  post('multi-byte body over the maximum in bytes', json({ taskId: 'bad-39', payload: { blob: 'é'.repeat(130_000) } }), 413, 'maximum'),
  // Content type: anything but application/json (or application/*+json) is the function's 415,
  // a missing or malformed header included (API Gateway passes the headers on as sent).
  post('text/plain', json({ taskId: 'bad-40', payload: {} }), 415, 'application/json', { contentType: 'text/plain' }),
  post('form encoded', 'taskId=bad-41&payload=x', 415, 'application/json', { contentType: 'application/x-www-form-urlencoded' }),
  post('multipart', '--x\r\n\r\n--x--', 415, 'application/json', { contentType: 'multipart/form-data; boundary=x' }),
  post('XML', '<task id="bad-42"/>', 415, 'application/json', { contentType: 'application/xml' }),
  post('JSON body declared as text/json', json({ taskId: 'bad-43', payload: {} }), 415, 'application/json', { contentType: 'text/json' }),
  post('no Content-Type', validTask('bad-51'), 415, 'got none', { contentType: null }),
  post('empty Content-Type', validTask('bad-52'), 415, 'Content-Type', { contentType: '' }),
  post('Content-Type "application"', validTask('bad-53'), 415, "got 'application'", { contentType: 'application' }),
  post('Content-Type "json"', validTask('bad-54'), 415, "got 'json'", { contentType: 'json' }),
  post('Content-Type "application/"', validTask('bad-55'), 415, 'application/json', { contentType: 'application/' }),
  post('Content-Type "/json"', validTask('bad-56'), 415, 'application/json', { contentType: '/json' }),
  post('Content-Type listing two types', validTask('bad-57'), 415, 'application/json, text/plain', {
    contentType: 'application/json, text/plain',
  }),
  post('Content-Type with a space inside', validTask('bad-58'), 415, 'application/json', { contentType: 'application/json x' }),
  post('Content-Type "application/jsonp"', validTask('bad-59'), 415, 'application/jsonp', { contentType: 'application/jsonp' }),
  post('Content-Type with only parameters', validTask('bad-60'), 415, 'application/json', { contentType: '; charset=utf-8' }),
  post('no Content-Type and no body', '', 415, 'got none', { contentType: null }),
  // Unknown methods and paths: API Gateway's MISSING_AUTHENTICATION_TOKEN, before the key is checked
  byGateway('PUT /tasks', 'PUT', '/tasks', 'MISSING_AUTHENTICATION_TOKEN', { body: validTask('bad-44') }),
  byGateway('DELETE /tasks/{id}', 'DELETE', '/tasks/bad-45', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('PATCH /tasks', 'PATCH', '/tasks', 'MISSING_AUTHENTICATION_TOKEN', { body: '{}' }),
  byGateway('POST /tasks/{id}', 'POST', '/tasks/bad-46', 'MISSING_AUTHENTICATION_TOKEN', { body: '{}' }),
  byGateway('GET /tasks/{id}/redrive', 'GET', '/tasks/bad-46/redrive', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('DELETE /tasks/{id}/redrive', 'DELETE', '/tasks/bad-46/redrive', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('OPTIONS /tasks (no CORS configured)', 'OPTIONS', '/tasks', 'MISSING_AUTHENTICATION_TOKEN', { apiKey: null }),
  byGateway('OPTIONS /tasks/{id}', 'OPTIONS', '/tasks/bad-46', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('unknown path', 'GET', '/nope', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('root path', 'GET', '/', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('path below a known resource', 'GET', '/tasks/bad-46/redrive/more', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('path with the stage prefix', 'GET', '/local/tasks?status=FAILED', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('path in another case', 'GET', '/TASKS?status=FAILED', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('empty path parameter', 'POST', '/tasks//redrive', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('unknown path without a key', 'GET', '/nope', 'MISSING_AUTHENTICATION_TOKEN', { apiKey: null }),
  byGateway('unknown path with a wrong key', 'GET', '/nope', 'MISSING_AUTHENTICATION_TOKEN', { apiKey: 'not-the-key-0123456789' }),
  byGateway('bad body on an unknown route', 'PUT', '/tasks', 'MISSING_AUTHENTICATION_TOKEN', {
    body: '{"taskId":',
    contentType: 'text/plain',
  }),
  byGateway('malformed Content-Type on an unknown route', 'PATCH', '/tasks', 'MISSING_AUTHENTICATION_TOKEN', {
    body: '{}',
    contentType: 'application',
  }),
  // Dot segments are not removed: a literal `..` is a path segment like any other
  byGateway('dot-dot segment leaving the resource', 'GET', '/tasks/../tasks', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('dot segment before the resource', 'GET', '/./tasks?status=FAILED', 'MISSING_AUTHENTICATION_TOKEN'),
  byGateway('dot-dot segment after a taskId', 'GET', '/tasks/bad-46/..', 'MISSING_AUTHENTICATION_TOKEN'),
  { name: 'GET /tasks/..', method: 'GET', path: '/tasks/..', status: 400, names: 'taskId' },
  { name: 'GET /tasks/.', method: 'GET', path: '/tasks/.', status: 400, names: 'taskId' },
  { name: 'GET /tasks/%2E%2E (encoded dot-dot)', method: 'GET', path: '/tasks/%2E%2E', status: 400, names: 'taskId' },
  { name: 'redrive /tasks/../redrive', method: 'POST', path: '/tasks/../redrive', status: 400, names: 'taskId' },
  post('taskId ".." in the body', json({ taskId: '..', payload: {} }), 400, 'taskId'),
  post('taskId "." in the body', json({ taskId: '.', payload: {} }), 400, 'taskId'),
  // Percent-encoding: API Gateway passes path parameters encoded, the function decodes once
  { name: 'double-encoded taskId %2541', method: 'GET', path: '/tasks/%2541', status: 400, names: 'taskId' },
  { name: 'double-encoded dot-dot %252E%252E', method: 'GET', path: '/tasks/%252E%252E', status: 400, names: 'taskId' },
  { name: 'double-encoded slash %252F', method: 'GET', path: '/tasks/bad%252F61', status: 400, names: 'taskId' },
  { name: 'redrive a double-encoded taskId', method: 'POST', path: '/tasks/%2541/redrive', status: 400, names: 'taskId' },
  { name: 'encoded slash in a taskId', method: 'GET', path: '/tasks/bad%2F62', status: 400, names: 'taskId' },
  { name: 'malformed percent-encoding', method: 'GET', path: '/tasks/bad%zz', status: 400, names: 'taskId' },
  { name: 'GET with a malformed taskId', method: 'GET', path: '/tasks/bad%20id', status: 400, names: 'taskId' },
  { name: 'GET with a 129-character taskId', method: 'GET', path: `/tasks/${'b'.repeat(129)}`, status: 400, names: 'taskId' },
  { name: 'GET an unknown task', method: 'GET', path: '/tasks/bad-never-submitted', status: 404, names: 'does not exist' },
  { name: 'list without status', method: 'GET', path: '/tasks', status: 400, names: 'status' },
  { name: 'list with an unknown status', method: 'GET', path: '/tasks?status=DONE', status: 400, names: 'status' },
  { name: 'list with limit 0', method: 'GET', path: '/tasks?status=FAILED&limit=0', status: 400, names: 'limit' },
  { name: 'list with limit 1000', method: 'GET', path: '/tasks?status=FAILED&limit=1000', status: 400, names: 'limit' },
  { name: 'list with a forged cursor', method: 'GET', path: '/tasks?status=FAILED&cursor=eyJoYWNrIjoxfQ', status: 400, names: 'cursor' },
  // The unsigned key with an empty phaseAt that DynamoDB refused with a 500 before cursors were signed.
  {
    name: 'list with a forged cursor holding an empty index key',
    method: 'GET',
    path: '/tasks?status=SUCCEEDED&cursor=eyJwaGFzZSI6IlNVQ0NFRURFRCIsInBoYXNlQXQiOiIiLCJzayI6IlNUQVRFIiwicGsiOiJUQVNLI3gifQ',
    status: 400,
    names: 'cursor',
  },
  {
    name: 'list with a well-formed unsigned cursor',
    method: 'GET',
    path: `/tasks?status=FAILED&cursor=${Buffer.from(JSON.stringify({ phase: 'FAILED', phaseAt: '2026-01-01T00:00:00.000Z', sk: 'STATE', pk: 'TASK#x' })).toString('base64url')}`,
    status: 400,
    names: 'cursor',
  },
  { name: 'list with an unknown parameter', method: 'GET', path: '/tasks?status=FAILED&sort=asc', status: 400, names: 'sort' },
  { name: 'redrive a malformed taskId', method: 'POST', path: '/tasks/bad%20id/redrive', status: 400, names: 'taskId' },
  { name: 'redrive an unknown task', method: 'POST', path: '/tasks/bad-never-submitted/redrive', status: 404, names: 'does not exist' },
  // Task types, delayed start and cancel
  post('unknown task type', json({ taskId: 'bad-t1', type: 'nope', payload: {} }), 400, 'must be one of: simulated, webhook, wordCount'),
  post('task type of the wrong JSON type', json({ taskId: 'bad-t2', type: 7, payload: {} }), 400, 'type'),
  post('task type with a trailing space', json({ taskId: 'bad-t3', type: 'webhook ', payload: {} }), 400, 'must be one of'),
  post('task type in another case', json({ taskId: 'bad-t4', type: 'WEBHOOK', payload: {} }), 400, 'must be one of'),
  post('negative delaySeconds', json({ taskId: 'bad-t5', payload: {}, delaySeconds: -1 }), 400, 'delaySeconds'),
  post('delaySeconds over 900', json({ taskId: 'bad-t6', payload: {}, delaySeconds: 901 }), 400, 'delaySeconds'),
  post('fractional delaySeconds', json({ taskId: 'bad-t7', payload: {}, delaySeconds: 0.5 }), 400, 'delaySeconds'),
  post('delaySeconds as a string', json({ taskId: 'bad-t8', payload: {}, delaySeconds: '10' }), 400, 'delaySeconds'),
  post('wordCount without text', json({ taskId: 'bad-t9', type: 'wordCount', payload: {} }), 400, 'payload.text'),
  post('webhook without a url', json({ taskId: 'bad-w1', type: 'webhook', payload: {} }), 400, 'payload.url'),
  post('webhook url not a URL', json({ taskId: 'bad-w2', type: 'webhook', payload: { url: 'not a url' } }), 400, 'payload.url'),
  post(
    'webhook to the metadata service',
    json({ taskId: 'bad-w3', type: 'webhook', payload: { url: 'http://169.254.169.254/latest/meta-data/' } }),
    400,
    'payload.url',
  ),
  post(
    'webhook to a private address',
    json({ taskId: 'bad-w4', type: 'webhook', payload: { url: 'https://10.0.0.5/hook' } }),
    400,
    'payload.url',
  ),
  post(
    'webhook to a unique-local IPv6 address',
    json({ taskId: 'bad-w5', type: 'webhook', payload: { url: 'https://[fd00::1]/hook' } }),
    400,
    'payload.url',
  ),
  post(
    'webhook to an IPv4-mapped private address',
    json({ taskId: 'bad-w6', type: 'webhook', payload: { url: 'https://[::ffff:192.168.1.1]/' } }),
    400,
    'payload.url',
  ),
  post(
    'webhook to a hex-encoded link-local address',
    json({ taskId: 'bad-w7', type: 'webhook', payload: { url: 'http://0xa9.0xfe.0xa9.0xfe/' } }),
    400,
    'payload.url',
  ),
  post(
    'webhook with credentials in the URL',
    json({ taskId: 'bad-w8', type: 'webhook', payload: { url: 'https://user:pass@example.com/' } }),
    400,
    'payload.url',
  ),
  post('webhook over ftp', json({ taskId: 'bad-w9', type: 'webhook', payload: { url: 'ftp://example.com/file' } }), 400, 'payload.url'),
  post(
    'webhook with a misspelt field',
    json({ taskId: 'bad-w10', type: 'webhook', payload: { url: 'https://example.com/', bdy: {} } }),
    400,
    'payload.bdy',
  ),
  { name: 'cancel a malformed taskId', method: 'POST', path: '/tasks/bad%20id/cancel', status: 400, names: 'taskId' },
  { name: 'cancel an unknown task', method: 'POST', path: '/tasks/bad-never-submitted/cancel', status: 404, names: 'does not exist' },
  { name: 'cancel a double-encoded taskId', method: 'POST', path: '/tasks/%2541/cancel', status: 400, names: 'taskId' },
  byGateway('no API key on a cancel', 'POST', '/tasks/bad-66/cancel', 'INVALID_API_KEY', { apiKey: null }),
  // POST /tasks/batch: a malformed envelope is refused whole (each task's own problems are BAD_BATCH_ITEMS)
  postBatch('batch: truncated JSON', '{"tasks": [{"taskId": "bad-b1", "payload": {}}', 400, 'not valid JSON'),
  postBatch('batch: empty body', '', 400, 'empty'),
  postBatch(
    'batch: an array of tasks without the envelope',
    json([{ taskId: 'bad-b2', payload: {} }]),
    400,
    'must be a JSON object, got array',
  ),
  postBatch('batch: a single task instead of the envelope', validTask('bad-b3'), 400, 'tasks'),
  postBatch('batch: tasks missing', json({}), 400, 'tasks is required'),
  postBatch('batch: tasks null', json({ tasks: null }), 400, 'got null'),
  postBatch('batch: tasks an object', json({ tasks: { taskId: 'bad-b4', payload: {} } }), 400, 'got object'),
  postBatch('batch: tasks a string', json({ tasks: 'bad-b5' }), 400, 'got string'),
  postBatch('batch: no tasks', json({ tasks: [] }), 400, 'got none'),
  postBatch(
    'batch: 101 tasks',
    json({ tasks: Array.from({ length: 101 }, (_, i) => ({ taskId: `bad-b6-${i}`, payload: {} })) }),
    400,
    'got 101',
  ),
  postBatch('batch: an unknown field beside tasks', json({ tasks: [{ taskId: 'bad-b7', payload: {} }], atomic: true }), 400, 'atomic'),
  postBatch('batch: Content-Type text/plain', json({ tasks: [{ taskId: 'bad-b8', payload: {} }] }), 415, 'Content-Type', {
    contentType: 'text/plain',
  }),
  postBatch(
    'batch: body over 240 KiB in all (each task small)',
    json({ tasks: Array.from({ length: 100 }, (_, i) => ({ taskId: `bad-b9-${i}`, payload: { pad: 'x'.repeat(2500) } })) }),
    413,
    'maximum',
  ),
  post("taskId 'batch' (the bulk route's path)", validTask('batch'), 400, "must not be 'batch'"),
  byGateway('no API key on a batch', 'POST', '/tasks/batch', 'INVALID_API_KEY', { body: json({ tasks: [] }), apiKey: null }),
  byGateway('GET /tasks/batch (no such route; not a task)', 'GET', '/tasks/batch', 'MISSING_AUTHENTICATION_TOKEN'),
  // Authentication: API Gateway's INVALID_API_KEY for a known route
  byGateway('wrong API key', 'POST', '/tasks', 'INVALID_API_KEY', { body: validTask('bad-47'), apiKey: 'not-the-key-0123456789' }),
  byGateway('no API key', 'POST', '/tasks', 'INVALID_API_KEY', { body: validTask('bad-48'), apiKey: null }),
  byGateway('API key in the wrong header', 'POST', '/tasks', 'INVALID_API_KEY', {
    body: validTask('bad-49'),
    apiKeyHeader: 'authorization',
  }),
  byGateway('empty API key', 'POST', '/tasks', 'INVALID_API_KEY', { body: validTask('bad-63'), apiKey: '' }),
  byGateway('no API key on GET /tasks/{id}', 'GET', '/tasks/bad-64', 'INVALID_API_KEY', { apiKey: null }),
  byGateway('no API key on a list', 'GET', '/tasks?status=FAILED', 'INVALID_API_KEY', { apiKey: null }),
  byGateway('no API key on a redrive', 'POST', '/tasks/bad-65/redrive', 'INVALID_API_KEY', { apiKey: null }),
  byGateway('no API key and a malformed body', 'POST', '/tasks', 'INVALID_API_KEY', { body: '{', contentType: 'text/plain', apiKey: null }),
  // API Gateway's 10 MB payload quota, checked before anything else
  byGateway("body over API Gateway's 10 MB", 'POST', '/tasks', 'REQUEST_TOO_LARGE', { body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) }),
  byGateway('body over 10 MB on an unknown route', 'PUT', '/nope', 'REQUEST_TOO_LARGE', {
    body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    apiKey: null,
  }),
];

/**
 * Every POST /tasks request above whose body is JSON and answered 400, as a task of a batch: the
 * batch answers each of them 400, naming the same problem (`tasks[i].` before its field). Bodies
 * that are not JSON cannot be a batch's tasks; a taskId that two of them share is kept once.
 */
export const BAD_BATCH_ITEMS: { name: string; body: string; names: string }[] = (() => {
  const seen = new Set<string>();
  return BAD_REQUESTS.flatMap((request) => {
    if (request.path !== '/tasks' || request.method !== 'POST' || request.status !== 400 || request.contentType !== undefined) return [];
    if (request.apiKey !== undefined || request.gateway) return [];
    let task: unknown;
    try {
      task = JSON.parse(String(request.body));
    } catch {
      return [];
    }
    const taskId = typeof task === 'object' && task !== null && 'taskId' in task ? JSON.stringify(task.taskId) : undefined;
    if (taskId !== undefined) {
      if (seen.has(taskId)) return [];
      seen.add(taskId);
    }
    return [{ name: request.name, body: String(request.body), names: request.names }];
  });
})();
