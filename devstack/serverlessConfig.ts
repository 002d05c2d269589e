import path from 'node:path';
import { LocalStackError, spawnManaged } from './processes';

/** The repository root: where serverless.yml lives. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The serverless CLI of this repository, run with the current node. */
export const SERVERLESS_BIN = require.resolve('serverless/bin/serverless.js', { paths: [PROJECT_ROOT] });

/** A CloudFormation resource as `serverless print` shows it (intrinsics as `{Ref}` / `{Fn::GetAtt}` objects). */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** The part of an `sqs` function event this project reads. */
export interface SqsEventConfig {
  arn: unknown;
  batchSize?: number;
  maximumBatchingWindow?: number;
  functionResponseType?: string;
  maximumConcurrency?: number;
  enabled?: boolean;
}

export interface FunctionConfig {
  name: string;
  handler: string;
  timeout?: number;
  environment?: Record<string, unknown>;
  events?: ({ sqs?: SqsEventConfig } & Record<string, unknown>)[];
}

/** The resolved service configuration for one stage (the output of `serverless print`). */
export interface ServerlessConfig {
  service: string | { name: string };
  provider: {
    region: string;
    stage: string;
    timeout?: number;
    environment?: Record<string, unknown>;
  } & Record<string, unknown>;
  params?: Record<string, Record<string, unknown>>;
  custom?: Record<string, unknown>;
  functions: Record<string, FunctionConfig>;
  resources?: { Resources?: Record<string, CfnResource> };
}

const cache = new Map<string, Promise<ServerlessConfig>>();

/** The first lines of a serverless error output, without the environment/support footer. */
function errorSummary(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'Error:');
  const end = lines.findIndex((line) => /^(Environment:|Learn more|Docs:)/.test(line));
  return lines
    .slice(0, end >= 0 ? end : 3)
    .slice(0, 3)
    .join(' ');
}

async function runPrint(stage: string, env: Record<string, string>): Promise<ServerlessConfig> {
  // Managed like the servers, so an early exit (Ctrl-C, a failed start) does not leave it behind.
  const proc = spawnManaged('serverless print', process.execPath, [SERVERLESS_BIN, 'print', '--stage', stage, '--format', 'json'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  proc.child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  proc.child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  // 'close', not 'exit': all of stdout has been read.
  const code = await new Promise<number | null>((resolve) => proc.child.once('close', resolve));
  await proc.stop();
  const out = Buffer.concat(stdout).toString('utf8');
  if (code !== 0) {
    const summary = errorSummary(`${Buffer.concat(stderr).toString('utf8')}\n${out}`) || `exit code ${code}`;
    throw new LocalStackError(`serverless print --stage ${stage} failed: ${summary}`);
  }
  try {
    return JSON.parse(out) as ServerlessConfig;
  } catch (error) {
    throw new LocalStackError(`serverless print --stage ${stage} did not print JSON: ${out.slice(0, 200)}`, { cause: error });
  }
}

/**
 * The configuration of serverless.yml resolved for `stage` by the serverless CLI itself, so
 * names, keys and attributes have one source of truth. `env` adds variables the yml reads
 * (e.g. LOCAL_SQS_ENDPOINT). Cached per process: the CLI takes seconds.
 */
export function loadServerlessConfig(stage: string, env: Record<string, string> = {}): Promise<ServerlessConfig> {
  const key = JSON.stringify([stage, Object.entries(env).sort()]);
  let config = cache.get(key);
  if (!config) {
    config = runPrint(stage, env);
    cache.set(key, config);
    config.catch(() => cache.delete(key));
  }
  return config;
}

/** The `params` of a stage: `params.default` overlaid with `params.<stage>`. */
export function stageParams(config: ServerlessConfig, stage: string): Record<string, unknown> {
  return { ...(config.params?.default ?? {}), ...(config.params?.[stage] ?? {}) };
}

/** A numeric stage param, or a LocalStackError naming the missing key. */
export function numericParam(config: ServerlessConfig, stage: string, name: string): number {
  const value = Number(stageParams(config, stage)[name]);
  if (!Number.isFinite(value))
    throw new LocalStackError(`serverless.yml has no numeric params.${stage}.${name} (nor params.default.${name})`);
  return value;
}
