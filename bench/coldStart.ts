/**
 * Cold start: packages the service (`npx serverless package --stage bench --package <dir>`)
 * in a scratch copy of the working tree (serverless-plugin-typescript builds into the
 * service's .build/, which a running `npm start` also uses), then for each function reports
 * its zip size and the median time to require its handler in a fresh node process from the
 * UNZIPPED package. As on Lambda, where the runtime provides the AWS SDK v3, NODE_PATH points
 * into the repo's node_modules - restricted to the packages serverless.yml leaves out of the
 * zips (the runtime's SDK and its dependencies), so a dependency missing from a zip fails the
 * import instead of being found in the repo.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnManaged } from '../devstack';
import { median } from '../tools/stats';
import { copyWorkingTree } from '../tools/workingTree';
import { MARKER } from './measure';

const ROOT = path.resolve(__dirname, '..');

export interface FunctionColdStart {
  functionKey: string;
  handler: string;
  zipBytes: number;
  files: number;
  unzippedBytes: number;
  importMs: number[];
  medianImportMs: number;
  /** The least disturbed run: what the machine can do when nothing else competes. */
  minImportMs: number;
  error?: string;
}

export interface ColdStartResult {
  packageSeconds: number;
  runtimePackages: string[];
  functions: FunctionColdStart[];
}

/** Package names behind `!node_modules/<name>/**` patterns: what the zips expect the runtime to provide. */
export function runtimeProvidedPackages(patterns: string[]): string[] {
  return patterns
    .map((pattern) => /^!node_modules\/((?:@[^/]+\/)?[^/*]+|@[^/]+)\/\*\*$/.exec(pattern)?.[1])
    .filter((name): name is string => Boolean(name) && name !== '.bin');
}

/** A directory of symlinks to those packages in the repo's node_modules: the stand-in for the runtime's. */
function runtimeModules(dir: string, packages: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of packages) {
    const source = path.join(ROOT, 'node_modules', name);
    if (!fs.existsSync(source)) continue;
    const target = path.join(dir, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(source, target, 'dir');
  }
}

function directoryStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return { files, bytes };
}

/** Extracts `zip` into `into` (the unzip binary, or python3's zipfile module where there is none). */
export function unzip(zip: string, into: string): void {
  fs.mkdirSync(into, { recursive: true });
  try {
    execFileSync('unzip', ['-q', '-o', zip, '-d', into], { stdio: 'pipe' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // No unzip binary: python's zipfile module does the same.
    execFileSync('python3', ['-m', 'zipfile', '-e', zip, into], { stdio: 'pipe' });
  }
}

/** One fresh node process: milliseconds to require the handler file. */
function timeImport(file: string, exportName: string, cwd: string, nodePath: string, runId: string): Promise<number> {
  const script = [
    'const t = process.hrtime.bigint();',
    `const m = require(${JSON.stringify(file)});`,
    'const ms = Number(process.hrtime.bigint() - t) / 1e6;',
    `if (typeof m[${JSON.stringify(exportName)}] !== 'function') throw new Error('no exported handler ${exportName}');`,
    'process.stdout.write(JSON.stringify({ ms }));',
  ].join(' ');
  const child = spawnManaged('handler import', process.execPath, ['-e', script], {
    cwd,
    marker: { name: MARKER, value: runId },
    env: {
      PATH: process.env.PATH ?? '',
      NODE_PATH: nodePath,
      AWS_REGION: 'us-east-1',
      POWERTOOLS_SERVICE_NAME: 'task-pipeline',
      NODE_OPTIONS: '',
    },
  });
  return child.exited.then((code) => {
    const text = child.output();
    const match = /\{"ms":([\d.]+)\}/.exec(text);
    if (code !== 0 || !match)
      throw new Error(`require(${path.basename(file)}) failed (exit ${code}): ${text.trim().split('\n').slice(0, 3).join(' / ')}`);
    return Number(match[1]);
  });
}

export async function measureColdStart(options: {
  runId: string;
  runs: number;
  log: (line: string) => void;
  keep?: boolean;
}): Promise<ColdStartResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-coldstart-'));
  try {
    const service = path.join(work, 'service');
    const packageDir = path.join(work, 'package');
    copyWorkingTree(ROOT, service);
    const started = Date.now();
    const packaging = spawnManaged(
      'serverless package',
      process.platform === 'win32' ? 'npx.cmd' : 'npx',
      ['serverless', 'package', '--stage', 'bench', '--package', packageDir],
      {
        cwd: service,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
        marker: { name: MARKER, value: `${options.runId}-package` },
        stopSignal: 'SIGINT',
      },
    );
    const timer = setTimeout(() => void packaging.stop(1000), 300_000);
    const code = await packaging.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`serverless package exited ${code}:\n${packaging.output().slice(-2000)}`);
    const packageSeconds = (Date.now() - started) / 1000;
    options.log(`serverless package: ${packageSeconds.toFixed(1)} s`);

    const state = JSON.parse(fs.readFileSync(path.join(packageDir, 'serverless-state.json'), 'utf8')) as {
      service: { functions: Record<string, { handler: string }>; initialServerlessConfig?: { package?: { patterns?: string[] } } };
    };
    const patterns = state.service.initialServerlessConfig?.package?.patterns ?? [];
    const runtimePackages = runtimeProvidedPackages(patterns.length ? patterns : readYmlPatterns());
    const runtimeDir = path.join(work, 'runtime', 'node_modules');
    runtimeModules(runtimeDir, runtimePackages);

    const functions: (FunctionColdStart & { file: string; exportName: string; dir: string })[] = [];
    for (const [functionKey, fn] of Object.entries(state.service.functions)) {
      const zip = path.join(packageDir, `${functionKey}.zip`);
      const dir = path.join(work, 'unzipped', functionKey);
      unzip(zip, dir);
      const { files, bytes } = directoryStats(dir);
      const exportName = fn.handler.split('.').pop()!;
      const file = path.join(dir, `${fn.handler.slice(0, -(exportName.length + 1))}.js`);
      functions.push({
        functionKey,
        handler: fn.handler,
        zipBytes: fs.statSync(zip).size,
        files,
        unzippedBytes: bytes,
        importMs: [],
        medianImportMs: Number.NaN,
        minImportMs: Number.NaN,
        file,
        exportName,
        dir,
      });
    }
    // Round robin: a burst of load from elsewhere on the machine hits every function alike.
    for (let i = 0; i < options.runs; i++) {
      for (const f of functions) {
        if (f.error) continue;
        try {
          f.importMs.push(await timeImport(f.file, f.exportName, f.dir, runtimeDir, `${options.runId}-import`));
        } catch (error) {
          f.error = (error as Error).message;
        }
      }
    }
    for (const f of functions) {
      f.medianImportMs = f.importMs.length ? median(f.importMs) : Number.NaN;
      f.minImportMs = f.importMs.length ? Math.min(...f.importMs) : Number.NaN;
      options.log(
        `${f.functionKey}: zip ${f.zipBytes} B, import median ${f.medianImportMs.toFixed(1)} ms (min ${f.minImportMs.toFixed(1)})${f.error ? ` (${f.error})` : ''}`,
      );
    }
    return { packageSeconds, runtimePackages, functions: functions.map(({ file: _file, exportName: _export, dir: _dir, ...f }) => f) };
  } finally {
    if (!options.keep) fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Fallback: the `!node_modules/...` lines of serverless.yml's package.patterns. */
function readYmlPatterns(): string[] {
  const yml = fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');
  return [...yml.matchAll(/^\s*-\s*'(!node_modules\/[^']+)'/gm)].map((m) => m[1]);
}
