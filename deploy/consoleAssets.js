/**
 * Builds the operator console (console/) and the API description into the static files the
 * serveConsole function serves: console.js bundled from console/src/main.ts by esbuild,
 * index.html, console.css and favicon.svg copied, openapi.json converted from openapi.yaml.
 *
 * As a serverless plugin (listed after serverless-plugin-typescript, whose hooks on the same
 * events run first and move the service path to .build/), it writes them to
 * <service path>/dist/console when serverless packages or `serverless offline` starts, so the
 * zip and the local stack serve what the sources say at that moment. Nothing built is committed.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'console');
/** Where the files go, relative to the service path (handlers/serveConsole.ts reads them there). */
const OUTPUT = path.join('dist', 'console');
const COPIED = ['index.html', 'console.css', 'favicon.svg'];

/** Builds every file into `outDir` (emptied first); resolves to the names written. */
async function buildConsole(outDir) {
  const esbuild = require('esbuild');
  const yaml = require('yaml');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(SOURCE, 'src', 'main.ts')],
    outfile: path.join(outDir, 'console.js'),
    tsconfig: path.join(SOURCE, 'tsconfig.json'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  for (const file of COPIED) fs.copyFileSync(path.join(SOURCE, file), path.join(outDir, file));
  const spec = yaml.parse(fs.readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8'));
  fs.writeFileSync(path.join(outDir, 'openapi.json'), JSON.stringify(spec));
  return fs.readdirSync(outDir).sort();
}

class ConsoleAssets {
  constructor(serverless) {
    this.serverless = serverless;
    const build = () => this.build();
    this.hooks = {
      'before:package:createDeploymentArtifacts': build,
      'before:deploy:function:packageFunction': build,
      'before:offline:start': build,
      'before:offline:start:init': build,
    };
  }

  async build() {
    const outDir = path.join(this.serverless.config.servicePath, OUTPUT);
    const files = await buildConsole(outDir);
    this.serverless.cli.log(`Console built: ${files.join(', ')} in ${path.relative(process.cwd(), outDir) || '.'}`);
  }
}

module.exports = ConsoleAssets;
module.exports.buildConsole = buildConsole;
