import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The README is the short door; depth lives in docs/. These checks keep the door short and
// every relative link and #anchor between README.md and docs/*.md pointing somewhere real.

const ROOT = path.resolve(__dirname, '..');
const README = path.join(ROOT, 'README.md');
const README_MAX_LINES = 250;

interface Link {
  file: string;
  line: number;
  target: string;
}

/** The markdown files the checks cover: README.md and every docs/*.md. */
function markdownFiles(): string[] {
  const docsDir = path.join(ROOT, 'docs');
  const docs = fs.existsSync(docsDir)
    ? fs
        .readdirSync(docsDir)
        .filter((name) => name.endsWith('.md'))
        .map((name) => path.join(docsDir, name))
    : [];
  return [README, ...docs.sort()];
}

/** The lines of a markdown file outside fenced code blocks, with inline code removed; null for lines inside a fence. */
function proseLines(text: string): (string | null)[] {
  let fence: string | null = null;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return null;
    }
    return fence === null ? line.replace(/`+[^`]*`+/g, '') : null;
  });
}

/** GitHub's heading slug: lowercase, punctuation other than '-' and '_' dropped, each space a '-'. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a markdown file's headings define, with GitHub's -1, -2 suffixes for repeated slugs. */
function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8');
  const fenced = proseLines(text);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    if (fenced[i] === null) return;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) return;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  });
  return anchors;
}

/** Every inline link or image target in a markdown file's prose. */
function linksOf(file: string): Link[] {
  const links: Link[] = [];
  proseLines(fs.readFileSync(file, 'utf8')).forEach((line, i) => {
    if (line === null) return;
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ file, line: i + 1, target: match[1] });
    }
  });
  return links;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/** Why a relative link is broken, or null if it resolves to a file (and heading) that exists. */
function brokenReason(link: Link): string | null {
  const [filePart, anchor] = link.target.split('#', 2);
  const targetFile = filePart === '' ? link.file : path.resolve(path.dirname(link.file), decodeURIComponent(filePart));
  if (!fs.existsSync(targetFile)) return `no file ${path.relative(ROOT, targetFile)}`;
  if (anchor === undefined || !targetFile.endsWith('.md')) return null;
  return anchorsOf(targetFile).has(decodeURIComponent(anchor).toLowerCase())
    ? null
    : `no heading #${anchor} in ${path.relative(ROOT, targetFile)}`;
}

function describeLink(link: Link, reason: string): string {
  return `${path.relative(ROOT, link.file)}:${link.line} (${link.target}): ${reason}`;
}

describe('docs', () => {
  describe('githubSlug', () => {
    it('lowercases, drops punctuation and turns spaces into dashes', () => {
      expect(githubSlug('Runbook: a task is FAILED')).to.equal('runbook-a-task-is-failed');
    });

    it('keeps dashes and underscores and drops backticks, slashes and apostrophes', () => {
      expect(githubSlug("`POST /tasks/{taskId}/redrive` and the account's role_x")).to.equal(
        'post-taskstaskidredrive-and-the-accounts-role_x',
      );
    });
  });

  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = fs.readFileSync(README, 'utf8').replace(/\n$/, '').split('\n').length;

    expect(lines, `README.md has ${lines} lines; move detail to docs/`).to.be.at.most(README_MAX_LINES);
  });

  it('README.md shows the quickstart commands npm start and npm test', () => {
    const readme = fs.readFileSync(README, 'utf8');

    expect(readme).to.include('npm start');
    expect(readme).to.include('npm test');
  });

  it('every relative link in README.md and docs/*.md points to an existing file and heading', () => {
    const links = markdownFiles()
      .flatMap(linksOf)
      .filter((link) => !isExternal(link.target));

    const broken = links.flatMap((link) => {
      const reason = brokenReason(link);
      return reason === null ? [] : [describeLink(link, reason)];
    });

    expect(links.length, 'no relative links found: is the link parser broken?').to.be.greaterThan(0);
    expect(broken, broken.join('\n')).to.deep.equal([]);
  });
});
