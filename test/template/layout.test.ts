/**
 * Checks how the service configuration is split: serverless.yml keeps the service,
 * params, provider and functions under MAX_ROOT_LINES lines, and its `resources` is a
 * list of `${file(infra/...)}` includes, one file per concern. Every resource file under
 * infra/ is included, each holds only template sections, no two define the same logical
 * id (serverless merges the files with lodash merge, so a duplicate would silently blend
 * two resources), and everything each file defines reaches the packaged template. The
 * functions' defaults in lib/config.ts agree with the params serverless.yml gives them.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config';
import { BEFORE_TIMEOUT_MS, REPO_ROOT, STAGE, packagedService, type CfnTemplate, type Json } from './packagedTemplate';

const MAX_ROOT_LINES = 300;
const INFRA_DIR = 'infra';
/** The template sections a resource file may hold. */
const SECTIONS = ['Resources', 'Conditions', 'Outputs'] as const;
const FILE_INCLUDE = /^\$\{file\(\.?\/?([^)]+)\)\}$/;

// The YAML parser and CloudFormation tag schema serverless reads serverless.yml and ${file()} with.
const SERVERLESS_DIR = path.dirname(require.resolve('serverless/package.json', { paths: [REPO_ROOT] }));
const yaml = require(require.resolve('js-yaml', { paths: [SERVERLESS_DIR] }));
const cloudformationSchema = require(require.resolve('@serverless/utils/cloudformation-schema', { paths: [SERVERLESS_DIR] }));

/** A YAML file of the repository as serverless parses it (variables left unresolved). */
function readYaml(file: string): Json {
  return yaml.load(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'), { filename: file, schema: cloudformationSchema });
}

/** The resource files under infra/ (the JS helpers, if any, are not resource files), repository-relative. */
function infraResourceFiles(): string[] {
  return fs
    .readdirSync(path.join(REPO_ROOT, INFRA_DIR), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => path.posix.join(INFRA_DIR, file.split(path.sep).join('/')))
    .sort();
}

describe('serverless.yml layout (resources in infra/ files by concern)', function () {
  const rootText = fs.readFileSync(path.join(REPO_ROOT, 'serverless.yml'), 'utf8');
  const root = readYaml('serverless.yml');
  const includes: string[] = (Array.isArray(root.resources) ? root.resources : []).map((entry: Json) => {
    const match = typeof entry === 'string' ? FILE_INCLUDE.exec(entry) : null;
    return match ? match[1] : JSON.stringify(entry);
  });

  it(`keeps serverless.yml under ${MAX_ROOT_LINES} lines (resources belong in ${INFRA_DIR}/)`, function () {
    const lines = rootText.split('\n').length - (rootText.endsWith('\n') ? 1 : 0);
    expect(lines, 'lines in serverless.yml').to.be.below(MAX_ROOT_LINES);
  });

  it(`lists its resources as \${file(${INFRA_DIR}/...)} includes only`, function () {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the serverless variable syntax, as text.
    expect(root.resources, 'resources: a list of ${file()} includes').to.be.an('array').that.is.not.empty;
    for (const include of includes) expect(include, 'resources entry').to.match(new RegExp(`^${INFRA_DIR}/[^"]+\\.ya?ml$`));
  });

  it(`includes every resource file under ${INFRA_DIR}/, each once, and no missing one`, function () {
    expect([...includes].sort(), `resources: includes vs ${INFRA_DIR}/*.yml`).to.deep.equal(infraResourceFiles());
  });

  it('defines each logical id (resource, condition, output) in one file only', function () {
    const owners = new Map<string, string>();
    const duplicates: string[] = [];
    for (const file of includes) {
      const content = readYaml(file) ?? {};
      for (const section of SECTIONS) {
        for (const id of Object.keys(content[section] ?? {})) {
          const key = `${section}.${id}`;
          const owner = owners.get(key);
          if (owner) duplicates.push(`${key} in ${owner} and ${file}`);
          else owners.set(key, file);
        }
      }
    }
    expect(duplicates).to.deep.equal([]);
  });

  it("gives the functions' settings the defaults lib/config.ts falls back to, serverless.yml's params being the source of truth", function () {
    const params = root.params.default;
    const config = loadConfig({
      STAGE: 'any',
      TASKS_TABLE: 't',
      TASKS_QUEUE_URL: 'q',
      DLQ_URL: 'd',
      CURSOR_SIGNING_KEY: 'k'.repeat(32),
    });

    expect({
      failureRate: config.failureRate,
      backoffBaseSeconds: config.backoff.baseSeconds,
      backoffJitter: config.backoff.jitter,
      allowSimulationOverride: config.allowSimulationOverride,
      reconcileGraceSeconds: config.reconcileGraceSeconds,
      leaseSeconds: config.leaseSeconds,
      indexShards: config.indexShards,
      indexSucceeded: config.indexSucceeded,
      retentionDays: config.retentionDays,
    }).to.deep.equal({
      failureRate: params.failureRate,
      backoffBaseSeconds: params.backoffBaseSeconds,
      backoffJitter: params.backoffJitter,
      allowSimulationOverride: params.allowSimulationOverride,
      reconcileGraceSeconds: params.reconcileGraceSeconds,
      leaseSeconds: root.custom.timeouts.leaseSeconds,
      indexShards: params.indexShards,
      indexSucceeded: params.indexSucceeded,
      retentionDays: params.retentionDays,
    });
  });

  describe(`in the packaged template (--stage ${STAGE})`, function () {
    let template: CfnTemplate;

    before(async function () {
      this.timeout(BEFORE_TIMEOUT_MS);
      template = (await packagedService(STAGE)).template; // shared with the other template suites
    });

    for (const file of infraResourceFiles()) {
      it(`has every resource, condition and output of ${file}, and the file nothing else`, function () {
        const content = readYaml(file) ?? {};
        expect(Object.keys(content), `top-level keys of ${file}`).to.satisfy((keys: string[]) =>
          keys.every((key) => (SECTIONS as readonly string[]).includes(key)),
        );
        expect(content.Resources, `${file} Resources`).to.be.an('object').that.is.not.empty;
        for (const [id, resource] of Object.entries<Json>(content.Resources)) {
          expect(template.Resources[id]?.Type, `${id} from ${file}`).to.equal(resource.Type);
          expect(template.Resources[id]?.Condition, `${id}'s Condition`).to.equal(resource.Condition);
        }
        for (const id of Object.keys(content.Conditions ?? {})) {
          expect(template.Conditions ?? {}, `condition from ${file}`).to.have.property(id);
        }
        for (const id of Object.keys(content.Outputs ?? {})) {
          expect(template.Outputs ?? {}, `output from ${file}`).to.have.property(id);
        }
      });
    }
  });
});
