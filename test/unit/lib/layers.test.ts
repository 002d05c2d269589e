import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const LIB = path.resolve(__dirname, '../../../lib');

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
    return entry.isDirectory() ? tsFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
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

  it('imports, from each layer, only the layers below it, and nothing outside lib/ (handlers, scripts, tests)', () => {
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
