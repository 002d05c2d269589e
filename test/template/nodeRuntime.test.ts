/**
 * Local runs and tests use the Node.js major of the Lambda runtime: devDependencies.node
 * (the npm package `node`) puts that binary first on the PATH of every npm script.
 * Running mocha outside npm, or a runtime change without a matching `node`, fails here.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { BEFORE_TIMEOUT_MS, STAGE, functionLogicalIds, packagedService, type CfnTemplate } from './packagedTemplate';

const FIX = 'keep devDependencies.node, engines.node and @types/node on the major of provider.runtime, then npm ci';

const majorOf = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

describe(`Node.js of the tests and of the Lambda runtime (serverless package --stage ${STAGE})`, function () {
  let runtimes: Record<string, string>;

  before(async function () {
    this.timeout(BEFORE_TIMEOUT_MS);
    const packaged = await packagedService(STAGE); // shared with the other template suites
    const resources: CfnTemplate['Resources'] = packaged.template.Resources;
    runtimes = Object.fromEntries(
      Object.entries(functionLogicalIds(packaged)).map(([name, id]) => [name, resources[id].Properties.Runtime as string]),
    );
  });

  it(`runs the tests on the runtime's Node.js major (mocha on ${process.version})`, function () {
    for (const [name, runtime] of Object.entries(runtimes)) {
      expect(`nodejs${majorOf(process.version)}.x`, `${name} runs on ${runtime}; ${FIX}`).to.equal(runtime);
    }
  });

  it('resolves `node` on PATH (npm scripts, npx, #!/usr/bin/env node) to the same Node.js', function () {
    const onPath = execFileSync('node', ['--version'], { encoding: 'utf8' }).trim();
    expect(onPath, `node on PATH; ${FIX}`).to.equal(process.version);
  });
});
