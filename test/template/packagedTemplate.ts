/**
 * `serverless package` for the template suites, run once per mocha process: every suite
 * that awaits packagedService() gets the same result, so running test/template/*.test.ts
 * together packages only once. Packaging happens in a scratch copy of the working tree,
 * so it cannot touch the repository's .build/ or .serverless/; the copy is removed when
 * the process exits.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyWorkingTree } from '../../tools/workingTree';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The AWS stage the template suites package. */
export const STAGE = 'ci';
/** A cold TypeScript build of every function on a busy machine stays under this (155 s seen on a clean CI run). */
export const PACKAGE_TIMEOUT_MS = 300_000;
/** What a suite's `before` hook allows for packagedService(). */
// Room for the one repeat after EMFILE (see packageService).
export const BEFORE_TIMEOUT_MS = 2 * PACKAGE_TIMEOUT_MS + 10_000;

// CloudFormation is untyped JSON; this alias only documents intent.
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation is untyped JSON; the tests navigate it freely.
export type Json = any;

export interface CfnResource {
  Type: string;
  Properties?: Json;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Conditions?: Record<string, Json>;
  Outputs?: Record<string, { Value: Json; Description?: string; Condition?: string }>;
}

export interface PackagedService {
  stage: string;
  /** The scratch copy of the working tree that was packaged. */
  serviceDir: string;
  /** Where `serverless package --package` wrote the template, state and zips. */
  packageDir: string;
  /** cloudformation-template-update-stack.json */
  template: CfnTemplate;
  /** The resolved serverless config (service, custom, provider, functions, resources) from serverless-state.json. */
  service: Json;
  /** What `serverless package` printed, stdout and stderr interleaved. */
  output: string;
  seconds: number;
}

const SERVERLESS_ENV = { SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };

let scratch: { workDir: string; serviceDir: string } | undefined;
const packaged = new Map<string, Promise<PackagedService>>();

/** One snapshot of the working tree per process, removed on exit. */
function scratchService(): { workDir: string; serviceDir: string } {
  if (!scratch) {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-template-'));
    process.once('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));
    const serviceDir = path.join(workDir, 'service');
    copyWorkingTree(REPO_ROOT, serviceDir);
    scratch = { workDir, serviceDir };
  }
  return scratch;
}

export interface RunResult {
  stdout: string;
  /** stdout and stderr interleaved. */
  output: string;
}

/** Runs a command in its own process group; rejects with the output's tail on failure or timeout. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, PACKAGE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, output });
      const tail = output.trim().split('\n').slice(-40).join('\n');
      reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

/** Runs the repository's serverless CLI in the scratch copy. */
function serverless(args: string[]): Promise<RunResult> {
  return run('npx', ['--no', '--', 'serverless', ...args], scratchService().serviceDir, { ...process.env, ...SERVERLESS_ENV });
}

async function packageService(stage: string): Promise<PackagedService> {
  const { workDir, serviceDir } = scratchService();
  const packageDir = path.join(workDir, `package-${stage}`);
  const started = Date.now();
  // serverless reads every file it zips at once; when its dev-dependency exclusion comes back
  // empty (seen once under load) that is all 34,000 files of node_modules, past the limit of
  // open files (EMFILE). That failure says nothing about the template: package once more.
  const pack = () => serverless(['package', '--stage', stage, '--package', packageDir]);
  const { output } = await pack().catch((error: Error) => {
    if (!/EMFILE/.test(error.message)) throw error;
    console.log('      serverless package hit EMFILE (too many open files); packaging once more');
    return pack();
  });
  const seconds = (Date.now() - started) / 1000;
  console.log(`      packaged --stage ${stage} in ${seconds.toFixed(1)} s`);
  const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(packageDir, file), 'utf8'));
  return {
    stage,
    serviceDir,
    packageDir,
    template: readJson('cloudformation-template-update-stack.json'),
    service: readJson('serverless-state.json').service,
    output,
    seconds,
  };
}

/** The packaged service for `stage`, packaged on the first call of the process. */
export function packagedService(stage: string = STAGE): Promise<PackagedService> {
  let result = packaged.get(stage);
  if (!result) {
    result = packageService(stage);
    packaged.set(stage, result);
  }
  return result;
}

/**
 * The configuration serverless resolves for `stage` with `params` given as
 * `--param="name=value"` (`serverless print`: a few seconds, no build), e.g. to see
 * what a stage override or an optional param changes without packaging again.
 */
export async function printedConfig(stage: string, params: Record<string, string | number> = {}): Promise<Json> {
  const paramArgs = Object.entries(params).map(([name, value]) => `--param=${name}=${value}`);
  const { stdout } = await serverless(['print', '--stage', stage, '--format', 'json', ...paramArgs]);
  return JSON.parse(stdout);
}

/** The logical id of each function's AWS::Lambda::Function resource, by its name in serverless.yml. */
export function functionLogicalIds(packaged: PackagedService): Record<string, string> {
  const lambdas = Object.entries(packaged.template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
  return Object.fromEntries(
    Object.entries<Json>(packaged.service.functions).map(([name, fn]) => {
      const match = lambdas.find(([, r]) => (r.Properties as Json)?.FunctionName === fn.name);
      if (!match) throw new Error(`no Lambda resource for function ${name} (${fn.name})`);
      return [name, match[0]];
    }),
  );
}

/**
 * Evaluates a CloudFormation condition made of Fn::Not/Equals/And/Or, Condition and plain
 * values. Fn::Equals compares as strings, as CloudFormation does (`true` equals `'true'`).
 */
export function evaluateCondition(expression: Json, conditions: Record<string, Json>): boolean | string {
  if (typeof expression === 'string' || typeof expression === 'boolean') return expression;
  const [fn, args] = Object.entries<Json>(expression)[0];
  const value = (arg: Json) => evaluateCondition(arg, conditions);
  switch (fn) {
    case 'Fn::Not':
      return !value(args[0]);
    case 'Fn::Equals':
      return String(value(args[0])) === String(value(args[1]));
    case 'Fn::And':
      return args.every(value);
    case 'Fn::Or':
      return args.some(value);
    case 'Condition':
      if (!(args in conditions)) throw new Error(`no condition ${args} in the template`);
      return value(conditions[args]);
    default:
      throw new Error(`condition function ${fn} is not supported by this test: ${JSON.stringify(expression)}`);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/** `value` as CloudFormation deploys it: each Fn::If picked by its condition, AWS::NoValue dropped. */
export function resolveConditionals(value: Json, conditions: Record<string, Json>): Json {
  const resolve = (item: Json): Json => {
    if (Array.isArray(item)) return item.map(resolve).filter((element) => element !== NO_VALUE);
    if (item === null || typeof item !== 'object') return item;
    if (item.Ref === 'AWS::NoValue') return NO_VALUE;
    if ('Fn::If' in item) {
      const [condition, whenTrue, whenFalse] = item['Fn::If'];
      return resolve(evaluateCondition({ Condition: condition }, conditions) === true ? whenTrue : whenFalse);
    }
    const entries = Object.entries<Json>(item).map(([key, element]) => [key, resolve(element)]);
    return Object.fromEntries(entries.filter(([, element]) => element !== NO_VALUE));
  };
  return resolve(value);
}
