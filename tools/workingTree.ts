/** A scratch copy of the working tree, for the tools that package the service outside the checkout. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Copies the non-ignored working tree of `root` (tracked and untracked files, no node_modules,
 * no build output) to `destination`, and gives it root's node_modules as a tree of hard links.
 * Not a symlink: through a symlinked node_modules `npm ls` sees every package as extraneous,
 * serverless's dev-dependency exclusion comes back empty (the zips then hold devDependencies),
 * and it reads all 34,000 files of node_modules at once (EMFILE). Hard links take a few seconds;
 * where they cannot be made (another file system), a symlink is the fallback.
 */
export function copyWorkingTree(root: string, destination: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\0')
    .filter((file) => file && !file.startsWith('node_modules'));
  for (const file of new Set(files)) {
    const source = path.join(root, file);
    if (!fs.lstatSync(source, { throwIfNoEntry: false })?.isFile()) continue; // deleted, or a link
    fs.mkdirSync(path.dirname(path.join(destination, file)), { recursive: true });
    fs.copyFileSync(source, path.join(destination, file));
  }
  const modules = path.join(root, 'node_modules');
  try {
    execFileSync('cp', ['-al', modules, path.join(destination, 'node_modules')]);
  } catch {
    fs.symlinkSync(modules, path.join(destination, 'node_modules'), 'dir');
  }
}
