/** Entry point of the `tasks` operator CLI: parses arguments, picks the target API, runs a command, maps errors to exit codes. */
import { readFile } from 'node:fs/promises';
import type { ParseArgsConfig } from 'node:util';
import { parseCommandLine } from '../tools/args';
import { TASK_STATUSES } from '../lib/domain/task';
import {
  ApiError,
  AuthError,
  ConflictError,
  ConnectionError,
  InvalidInputError,
  NotThisApiError,
  ServerError,
  TaskNotFoundError,
  MAX_BATCH_TASKS,
  TasksClient,
} from './client';
import { EXIT, UsageError, type Context, type Io, type Values } from './context';
import { RESULT_PREVIEW } from './format';

const OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  payload: { type: 'string' },
  'payload-file': { type: 'string' },
  type: { type: 'string' },
  delay: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  rate: { type: 'string' },
  'dry-run': { type: 'boolean' },
  interval: { type: 'string' },
  timeout: { type: 'string' },
  file: { type: 'string' },
  'batch-size': { type: 'string' },
} satisfies ParseArgsConfig['options'];

const GLOBAL_OPTIONS = ['url', 'api-key', 'json', 'help'];

interface Command {
  /** Loads the command's module on demand: ts-node transpiles each file at startup, so fewer files start faster. */
  run(ctx: Context): Promise<number>;
  options: string[];
  usage: string[];
  help: string;
}

const COMMANDS: Record<string, Command> = {
  submit: {
    run: async (ctx) => (await import('./commands/submit')).submit(ctx),
    options: ['type', 'delay', 'payload', 'payload-file', 'file', 'batch-size'],
    usage: [
      'submit <taskId> [--type NAME] [--delay SECONDS] [--payload JSON | --payload-file PATH]',
      'submit --file PATH [--batch-size N]',
    ],
    help:
      'Submit a task. The payload is a JSON object, {} when omitted; --payload-file - reads stdin.\n' +
      "--type names the task type (default: the API's; an unknown name gets the list of known ones).\n" +
      '--delay holds the first attempt back SECONDS (0-900). The same taskId and payload again\n' +
      'changes nothing (200); a different payload or type is a 409.\n' +
      '--file submits many: one JSON task per line, {"taskId", "payload", "type"?, "delaySeconds"?}\n' +
      "(blank lines skipped; '-' reads stdin), through POST /tasks/batch, --batch-size tasks a request\n" +
      `(1-${MAX_BATCH_TASKS}, default ${MAX_BATCH_TASKS}; requests also kept under 240 KiB), a few at a time.\n` +
      'A line that is not a JSON object is a usage error and nothing is sent. Tasks answered 503, and\n' +
      'requests answered 429 or 5xx, are retried. Prints a count by result and the first errors with\n' +
      'their line numbers; --json prints one result per line. Exit 1 when a task was not accepted.',
  },
  status: {
    run: async (ctx) => (await import('./commands/status')).status(ctx),
    options: [],
    usage: ['status <taskId>'],
    help:
      "Show a task's type, status, attempts, last error and timestamps, and a SUCCEEDED task's result\n" +
      '(pretty JSON, cut after ' +
      `${RESULT_PREVIEW.lines} lines or ${RESULT_PREVIEW.chars} characters; --json prints all of it).`,
  },
  history: {
    run: async (ctx) => (await import('./commands/status')).history(ctx),
    options: [],
    usage: ['history <taskId>'],
    help:
      "Show a task's audit history, one line per event: time, event, attempt, error and delay;\n" +
      "a failure no retry could fix is marked 'permanent: no retry'. --json prints the history array.",
  },
  list: {
    run: async (ctx) => (await import('./commands/list')).list(ctx),
    options: ['status', 'limit', 'cursor', 'all'],
    usage: ['list --status STATUS [--limit N] [--cursor C | --all]'],
    help:
      'List the tasks in a status, newest first (by when they finished, or were submitted or redriven while\n' +
      'unfinished). --limit is the page size (1-100, default 20);\n' +
      '--all follows the cursors to the last page; --cursor fetches the page after a previous one.',
  },
  cancel: {
    run: async (ctx) => (await import('./commands/cancel')).cancel(ctx),
    options: [],
    usage: ['cancel <taskId>'],
    help:
      'Cancel a task waiting in the queue (QUEUED or RETRY_SCHEDULED): CANCELLED, and no further attempt\n' +
      'runs. A CANCELLED task is shown as it is. 409 (exit 1) while an attempt runs or once it has finished.',
  },
  redrive: {
    run: async (ctx) => (await import('./commands/redrive')).redrive(ctx),
    options: ['all', 'rate', 'dry-run'],
    usage: ['redrive <taskId>', 'redrive --all [--rate N] [--dry-run]'],
    help:
      'Move a FAILED or CANCELLED task back to QUEUED with a fresh attempt budget (409 otherwise).\n' +
      '--all is about FAILED tasks only (redrive a CANCELLED one by name): it collects every FAILED\n' +
      'task (following cursors), then redrives them one by one at --rate N per second (default 5)\n' +
      'and reports how many were redriven, skipped (409: no longer FAILED) and failed, with their\n' +
      'taskIds. --dry-run only lists what would be redriven.',
  },
  watch: {
    run: async (ctx) => (await import('./commands/watch')).watch(ctx),
    options: ['interval', 'timeout'],
    usage: ['watch <taskId> [--interval MS] [--timeout S]'],
    help:
      'Follow a task: print each history event as it appears until the task is SUCCEEDED (exit 0),\n' +
      'FAILED or CANCELLED (exit 1); exit 2 if --timeout passes first. --interval is the polling\n' +
      'period in ms (default 1000), --timeout in seconds (default 300, 0 = wait forever).\n' +
      '--json: one JSON event per line.',
  },
};

const EXIT_CODES = `Exit codes:
  0  success; watch: the task SUCCEEDED
  1  failure: watch saw FAILED or CANCELLED (finished, the work not done), a 409 conflict (submit,
     cancel, redrive), redrive --all had errors, submit --file had tasks not accepted (not 202/200),
     the API failed (5xx)
  2  usage error, or input the API rejected (400, 413, 415); watch: --timeout passed first
  3  task not found (404)
  4  API key missing or rejected (403)
  5  cannot reach the API: connection refused, DNS, timeout, or the URL is not this API`;

const TARGET = `Target (flags win over the environment):
  --url URL       API base URL; a deployed API's includes the stage    env TASKS_API_URL
                  (https://<id>.execute-api.<region>.amazonaws.com/<stage>)
                  default: the local stack of \`npm start\`, http://127.0.0.1:3000 ($LOCAL_HTTP_PORT)
  --api-key KEY   sent as the x-api-key header                          env TASKS_API_KEY
                  for a local URL, LOCAL_API_KEY or the key npm start recorded is used

Output:
  --json          print the API's JSON instead of tables
  -h, --help      show help (also: tasks help <command>, tasks <command> --help)`;

/** The full usage text of `tasks --help`. */
export function usage(): string {
  const lines = Object.values(COMMANDS).flatMap((c) => c.usage.map((u) => `  tasks ${u}`));
  const commands = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}  ${c.help.split('\n').join('\n            ')}`);
  return [
    'tasks: operate the task pipeline (submit, inspect, list, cancel, redrive, watch tasks)',
    '',
    'Usage:',
    ...lines,
    '  tasks help [command]',
    '',
    'Commands:',
    ...commands,
    '',
    `Statuses: ${TASK_STATUSES.join(' ')}`,
    '',
    TARGET,
    '',
    EXIT_CODES,
    '',
    'In this repository: npx tasks ... (or npm run tasks -- ...).',
    '',
  ].join('\n');
}

function commandUsage(name: string): string {
  const c = COMMANDS[name];
  return [
    'Usage:',
    ...c.usage.map((u) => `  tasks ${u} [--url URL] [--api-key KEY] [--json]`),
    '',
    c.help,
    '',
    TARGET,
    '',
    EXIT_CODES,
    '',
  ].join('\n');
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLocal(url: URL): boolean {
  return LOCAL_HOSTS.has(url.hostname);
}

/**
 * The key `npm start` recorded in .local/stack.json for the stack running at `origin`, if any.
 * The local stack's code is loaded only here, on demand: no other run of the CLI pays for it.
 */
async function recordedLocalKey(origin: string): Promise<string | undefined> {
  const { readStackInfo } = await import('../devstack');
  const stack = readStackInfo();
  return stack?.baseUrl === origin ? stack.apiKey : undefined;
}

/** The API base URL and key from flags, then TASKS_API_URL/TASKS_API_KEY, then the local stack's defaults. */
export async function resolveTarget(values: Values, env: Io['env']): Promise<{ url: URL; apiKey?: string; isDefault: boolean }> {
  const raw = values.url || env.TASKS_API_URL || `http://127.0.0.1:${env.LOCAL_HTTP_PORT || 3000}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL, got '${raw}'`);
  // For the local stack, the key `npm start` printed and recorded in .local/stack.json will do.
  const localKey = async () => env.LOCAL_API_KEY || (await recordedLocalKey(url.origin));
  const apiKey = values['api-key'] || env.TASKS_API_KEY || (isLocal(url) ? await localKey() : undefined) || undefined;
  return { url, apiKey, isDefault: !values.url && !env.TASKS_API_URL };
}

function problemsText(error: ApiError): string {
  const problems = error.fieldProblems;
  if (problems.length > 0) return problems.map((p) => `  - ${p.field}: ${p.problem}\n`).join('');
  const d = error.details;
  const empty = d === undefined || d === null || (typeof d === 'object' && Object.keys(d).length === 0);
  return empty ? '' : `  details: ${JSON.stringify(d)}\n`;
}

/** Prints what went wrong, in words an operator can act on, and returns the exit code. */
export function reportError(error: unknown, io: Io, target?: { url: URL; apiKey?: string }): number {
  const write = (text: string) => io.stderr(text.endsWith('\n') ? text : `${text}\n`);
  const base = target ? target.url.href.replace(/\/+$/, '') : '';
  if (error instanceof UsageError) {
    write(`tasks: ${error.message}`);
    write(error.command ? `Run 'tasks ${error.command} --help' for usage.` : "Run 'tasks --help' for usage.");
    return EXIT.USAGE;
  }
  if (error instanceof ConnectionError) {
    const hint =
      target && isLocal(target.url)
        ? 'is `npm start` running? set --url (or TASKS_API_URL) for a deployed stage'
        : 'check --url (or TASKS_API_URL)';
    write(`tasks: cannot reach ${error.url}: ${error.reason}: ${hint}`);
    return EXIT.UNREACHABLE;
  }
  if (error instanceof NotThisApiError) {
    write(
      `tasks: ${error.method} ${error.url} answered ${error.status} (${error.message}): ${base} does not look like the tasks API; ` +
        'check --url (a deployed API includes the stage: https://<id>.execute-api.<region>.amazonaws.com/<stage>)',
    );
    return EXIT.UNREACHABLE;
  }
  if (error instanceof AuthError) {
    write(
      target?.apiKey
        ? `tasks: API key rejected by ${base} (${error.status}): pass --api-key or set TASKS_API_KEY`
        : `tasks: no API key, and ${base} requires one (${error.status}): pass --api-key or set TASKS_API_KEY (LOCAL_API_KEY for the local stack; npm start prints it)`,
    );
    return EXIT.AUTH;
  }
  if (error instanceof TaskNotFoundError) {
    write(`tasks: not found (404): ${error.message}`);
    return EXIT.NOT_FOUND;
  }
  if (error instanceof InvalidInputError) {
    write(`tasks: invalid input (${error.status} ${error.code}): ${error.message}`);
    io.stderr(problemsText(error));
    return EXIT.USAGE;
  }
  if (error instanceof ConflictError) {
    write(`tasks: conflict (${error.status} ${error.code}): ${error.message}`);
    return EXIT.FAILURE;
  }
  if (error instanceof ServerError) {
    write(`tasks: the API failed (${error.status} ${error.code}): ${error.message}`);
    return EXIT.FAILURE;
  }
  if (error instanceof ApiError) {
    write(`tasks: ${error.method} ${error.url} failed (${error.status} ${error.code}): ${error.message}`);
    io.stderr(problemsText(error));
    return EXIT.FAILURE;
  }
  write(`tasks: unexpected error: ${(error instanceof Error && error.stack) || String(error)}`);
  return EXIT.FAILURE;
}

/** Runs the CLI with argv (without node and the script) and returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let target: { url: URL; apiKey?: string } | undefined;
  try {
    const { values, positionals } = parseCommandLine({ args: argv, options: OPTIONS, allowPositionals: true }) as {
      values: Values;
      positionals: string[];
    };
    const [name, ...args] = positionals;

    if (name === 'help') {
      const topic = args[0];
      if (topic && !COMMANDS[topic]) throw new UsageError(`unknown command '${topic}'`);
      io.stdout(topic ? commandUsage(topic) : usage());
      return EXIT.OK;
    }
    if (name === undefined) {
      if (values.help) {
        io.stdout(usage());
        return EXIT.OK;
      }
      io.stderr(usage());
      return EXIT.USAGE;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    if (values.help) {
      io.stdout(commandUsage(name));
      return EXIT.OK;
    }
    const allowed = new Set([...GLOBAL_OPTIONS, ...command.options]);
    const stray = Object.keys(values).filter((k) => !allowed.has(k));
    if (stray.length > 0) throw new UsageError(`${name}: unknown option ${stray.map((k) => `--${k}`).join(', ')}`, name);

    target = await resolveTarget(values, io.env);
    const client = new TasksClient({ baseUrl: target.url.href, apiKey: target.apiKey, fetch: io.fetch });
    return await command.run({ io, client, json: Boolean(values.json), args, values });
  } catch (error) {
    return reportError(error, io, target);
  }
}

/** The real process: stdout/stderr, the environment, wall-clock time. */
export function processIo(): Io {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    readFile: async (path) => {
      if (path !== '-') return readFile(path, 'utf8');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** Runs the CLI as a process: sets the exit code, and exits quietly when stdout is closed early (| head). */
export function run(argv = process.argv.slice(2)): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  main(argv, processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tasks: ${(error instanceof Error && error.stack) || String(error)}\n`);
      process.exitCode = EXIT.FAILURE;
    },
  );
}

if (require.main === module) run();
