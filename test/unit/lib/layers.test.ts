import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '../../..');
const LIB = path.join(ROOT, 'lib');

/** What each layer of lib/ may import from lib/ (its own layer always). The root holds the wiring. */
const ALLOWED: Record<string, string[]> = {
  domain: [],
  adapters: ['domain'],
  // Task types (the users' work) use the domain and adapters such as an HTTP client, never the use cases.
  types: ['domain', 'adapters', 'root'],
  app: ['domain', 'adapters', 'types', 'root'],
  lambda: ['domain', 'adapters', 'app', 'types', 'root'],
  root: ['domain', 'adapters', 'app', 'lambda', 'types'],
};

/** Packages the domain may use: Node's own (node:*) and zod (its shapes are schemas), so it runs and tests anywhere, without AWS. */
const DOMAIN_PACKAGES = /^(node:.+|zod)$/;

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? tsFiles(full) : /\.[jt]s$/.test(entry.name) ? [full] : [];
  });
}

const layerOf = (file: string): string => {
  const [first, ...rest] = path.relative(LIB, file).split(path.sep);
  return rest.length === 0 ? 'root' : first;
};

/** Every module specifier a file imports (static, type-only and dynamic imports, require). */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:from|import\s*\(|require\s*\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

describe('lib/ layers: imports point only downwards', () => {
  const files = tsFiles(LIB);

  it('puts every file of lib/ in a known layer', () => {
    expect(files.map(layerOf).filter((layer) => !(layer in ALLOWED))).to.deep.equal([]);
    expect(new Set(files.map(layerOf))).to.deep.equal(new Set(Object.keys(ALLOWED)));
  });

  it('imports, from each layer, only the layers below it, and nothing outside lib/ (handlers, devstack, tools, tests)', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) {
          if (from === 'domain' && !DOMAIN_PACKAGES.test(spec)) violations.push(`${path.relative(LIB, file)} imports the package ${spec}`);
          continue;
        }
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(LIB + path.sep)) {
          violations.push(`${path.relative(LIB, file)} imports ${spec}, outside lib/`);
          continue;
        }
        const to = layerOf(`${target}.ts`);
        if (to !== from && !ALLOWED[from].includes(to)) violations.push(`${path.relative(LIB, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).to.deep.equal([]);
  });
});

/** The top-level folder of a file or import target, e.g. 'devstack'. */
const folderOf = (file: string): string => path.relative(ROOT, file).split(path.sep)[0];

/** Every relative import of the files under `folders`: the importing file and the resolved target (without extension). */
function relativeImports(folders: string[]): { file: string; spec: string; target: string }[] {
  return folders.flatMap((folder) =>
    tsFiles(path.join(ROOT, folder)).flatMap((file) =>
      specifiers(fs.readFileSync(file, 'utf8'))
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => ({ file: path.relative(ROOT, file), spec, target: path.resolve(path.dirname(file), spec) })),
    ),
  );
}

/** The local stack's one door: devstack/index.ts. */
const DEVSTACK_DOOR = [path.join(ROOT, 'devstack'), path.join(ROOT, 'devstack', 'index')];

/**
 * The demo is a client of the API, not a part of the stack: it submits with --batch through the
 * code of `tasks submit --file`, the client and its batch sender, and nothing else of cli/.
 */
const DEMO_CLIENT = ['client', 'bulkSubmit'].map((name) => `devstack/demo.ts ${path.join(ROOT, 'cli', name)}`);

describe('folders outside lib/: who may import what', () => {
  const outside = ['bench', 'cli', 'handlers', 'lib', 'test', 'tools'];

  it('reaches the local stack only through its door, devstack/index.ts (bench, cli, tests, tools, lib)', () => {
    const violations = relativeImports(outside)
      .filter(({ target }) => folderOf(target) === 'devstack' && !DEVSTACK_DOOR.includes(target))
      .map(({ file, spec }) => `${file} imports ${spec}`);

    expect(violations).to.deep.equal([]);
  });

  it("keeps the tasks CLI off the local stack's internals, the bench and the tests", () => {
    const violations = relativeImports(['cli'])
      .filter(
        ({ target }) =>
          ['bench', 'test'].includes(folderOf(target)) || (folderOf(target) === 'devstack' && !DEVSTACK_DOOR.includes(target)),
      )
      .map(({ file, spec }) => `${file} imports ${spec}`);

    expect(violations).to.deep.equal([]);
  });

  it('keeps the bench and the local stack off the tests (the bench measures through devstack and lib/)', () => {
    const violations = relativeImports(['bench', 'devstack'])
      .filter(
        ({ file, target }) =>
          folderOf(target) === 'test' ||
          (file.startsWith('devstack') && ['bench', 'cli'].includes(folderOf(target)) && !DEMO_CLIENT.includes(`${file} ${target}`)),
      )
      .map(({ file, spec }) => `${file} imports ${spec}`);

    expect(violations).to.deep.equal([]);
  });

  it('keeps tools/ a leaf: its helpers import only each other and node:*', () => {
    const files = tsFiles(path.join(ROOT, 'tools'));
    const violations = files.flatMap((file) =>
      specifiers(fs.readFileSync(file, 'utf8'))
        .filter((spec) => (spec.startsWith('.') ? folderOf(path.resolve(path.dirname(file), spec)) !== 'tools' : !spec.startsWith('node:')))
        .map((spec) => `${path.relative(ROOT, file)} imports ${spec}`),
    );

    expect(files).to.not.be.empty;
    expect(violations).to.deep.equal([]);
  });
});
