import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './serverlessConfig';

/** Where a running `npm start` tells `npm run demo` its URL and API key (.local/ is git-ignored). */
export const STACK_FILE = path.join(PROJECT_ROOT, '.local', 'stack.json');

export interface StackInfo {
  pid: number;
  baseUrl: string;
  apiKey: string;
}

/** Records the running stack (file mode 600: it holds the API key) unless another live stack did. */
export function writeStackInfo(info: StackInfo): void {
  const current = readStackInfo();
  if (current && current.pid !== info.pid) return;
  fs.mkdirSync(path.dirname(STACK_FILE), { recursive: true });
  fs.writeFileSync(STACK_FILE, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** The running stack's info, if the file exists and its process is alive. */
export function readStackInfo(): StackInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(STACK_FILE, 'utf8')) as StackInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Removes the file if it describes this process's stack. */
export function removeStackInfo(): void {
  if (readStackInfo()?.pid === process.pid) fs.rmSync(STACK_FILE, { force: true });
}
