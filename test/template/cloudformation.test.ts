/**
 * Checks the CloudFormation template that `serverless package` produces for an
 * AWS stage: what a user deploying relies on (redrive, partial batch failures,
 * least-privilege roles, API keys, encryption, retention, tracing, access logs, the
 * deployment bucket) without AWS access.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MAX_MESSAGE_BYTES } from '../../lib/domain/messageBody';
import { EXPIRES_AT } from '../../lib/adapters/taskStore';
import { CONSOLE_FILES } from '../../handlers/serveConsole';
import { unzip } from '../../bench/coldStart';
import {
  BEFORE_TIMEOUT_MS,
  STAGE,
  evaluateCondition,
  functionLogicalIds,
  packagedService,
  printedConfig,
  resolveConditionals,
} from './packagedTemplate';

const TASKS_QUEUE = 'TasksQueue';
const DLQ = 'TasksDeadLetterQueue';
const TABLE = 'TasksTable';

/** Stands for "the log streams of this function's own log group" in the grant table. */
const OWN_LOG_GROUP = 'own log group';
const LOGGING: Grant = { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [OWN_LOG_GROUP] };
/**
 * X-Ray's write calls have no resource-level permissions (Service Authorization Reference,
 * AWS X-Ray): the only grant allowed on Resource "*", and only while tracing is on.
 */
const XRAY_WRITE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
const TRACING: Grant = { actions: XRAY_WRITE_ACTIONS, resources: ['*'] };

interface Grant {
  actions: string[];
  /** Logical ids of template resources (their Arn), or OWN_LOG_GROUP. */
  resources: string[];
}

/**
 * Every permission each function may hold, and nothing more: the calls its code
 * in lib/ makes. A function that needs a new call gets it here and in
 * serverless.yml, nowhere else.
 */
const EXPECTED_GRANTS: Record<string, Grant[]> = {
  submitTask: [
    LOGGING,
    TRACING,
    // UpdateItem: the FAILED write for a message SQS refuses (lib/app/rejectedMessage.ts).
    { actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [TABLE] },
    { actions: ['sqs:SendMessage'], resources: [TASKS_QUEUE] },
  ],
  // The same calls as submitTask: SendMessageBatch is authorised by sqs:SendMessage.
  submitTasks: [
    LOGGING,
    TRACING,
    { actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [TABLE] },
    { actions: ['sqs:SendMessage'], resources: [TASKS_QUEUE] },
  ],
  getTask: [LOGGING, TRACING, { actions: ['dynamodb:GetItem'], resources: [TABLE] }],
  listTasks: [
    LOGGING,
    TRACING,
    { actions: ['dynamodb:Query'], resources: [`\${${TABLE}.Arn}/index/byPhase`] },
    { actions: ['dynamodb:BatchGetItem'], resources: [TABLE] },
  ],
  reconcileTasks: [
    LOGGING,
    TRACING,
    { actions: ['dynamodb:Query'], resources: [`\${${TABLE}.Arn}/index/byPhase`] },
    { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], resources: [TABLE] },
    { actions: ['sqs:SendMessage'], resources: [TASKS_QUEUE, DLQ] },
  ],
  redriveTask: [
    LOGGING,
    TRACING,
    { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [TABLE] },
    { actions: ['sqs:SendMessage'], resources: [TASKS_QUEUE] },
  ],
  cancelTask: [LOGGING, TRACING, { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [TABLE] }],
  processTask: [
    LOGGING,
    TRACING,
    { actions: ['dynamodb:UpdateItem'], resources: [TABLE] },
    {
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
      resources: [TASKS_QUEUE],
    },
    { actions: ['sqs:SendMessage'], resources: [DLQ] },
  ],
  monitorDlq: [
    LOGGING,
    TRACING,
    // Conditional writes return the old item on failure: no GetItem.
    { actions: ['dynamodb:UpdateItem'], resources: [TABLE] },
    { actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], resources: [DLQ] },
  ],
  // Static files from its own zip: no data at all.
  serveConsole: [LOGGING, TRACING],
};

/** The function that serves the console and the API description, and the routes it serves without a key. */
const CONSOLE_FUNCTION = 'serveConsole';
const UNKEYED_ROUTES = ['GET /console', 'GET /console/{asset}', 'GET /openapi.json'];
const DATA_ROUTES = ['GET /tasks', 'GET /tasks/{taskId}', 'POST /tasks', 'POST /tasks/batch', 'POST /tasks/{taskId}/redrive'];

/** Which queue each SQS-triggered function consumes. */
const EXPECTED_CONSUMERS: Record<string, string> = { processTask: TASKS_QUEUE, monitorDlq: DLQ };

/** AWS managed policies a role may attach; none is narrow enough today. */
const ALLOWED_MANAGED_POLICIES: string[] = [];

const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
const RUNTIME = 'nodejs24.x';

// CloudFormation is untyped JSON; these aliases only document intent.
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation is untyped JSON; the tests navigate it freely.
type Json = any;
interface Resource {
  Type: string;
  Properties?: Json;
  DependsOn?: string | string[];
}
interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

const getAttArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** Renders an intrinsic as text: `${Id.Arn}` for GetAtt, `${Id}` for Ref, Sub/Join spelled out. */
function renderIntrinsic(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `\${${value.Ref}}`;
    if ('Fn::GetAtt' in value) {
      const att = value['Fn::GetAtt'];
      return `\${${Array.isArray(att) ? att.join('.') : att}}`;
    }
    if ('Fn::Sub' in value) {
      const sub = value['Fn::Sub'];
      return Array.isArray(sub) ? sub[0] : sub;
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'];
      return (parts as Json[]).map(renderIntrinsic).join(separator);
    }
  }
  return JSON.stringify(value);
}

/** The logical id X of `Fn::GetAtt [X, Arn]`, else undefined. */
const arnOf = (value: Json): string | undefined => renderIntrinsic(value).match(/^\$\{(\w+)\.Arn\}$/)?.[1];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches the log-stream ARN pattern of one function's own log group, and nothing wider. */
function ownLogStreamsPattern(functionName: string): RegExp {
  return new RegExp(
    '^arn:(aws|\\$\\{AWS::Partition\\}):logs:([a-z0-9-]+|\\$\\{AWS::Region\\}):(\\d{12}|\\$\\{AWS::AccountId\\})' +
      `:log-group:/aws/lambda/${escapeRegExp(functionName)}:\\*$`,
  );
}

describe(`CloudFormation template (serverless package --stage ${STAGE})`, function () {
  let packageDir: string;
  let resources: Record<string, Resource>;
  let service: Json; // resolved serverless config (custom, provider, functions)
  let functionIds: Record<string, string>; // function name in serverless.yml -> logical id
  let packageOutput: string;
  let conditions: Record<string, Json>;

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const props = (logicalId: string): Json => {
    expect(resources, `resource ${logicalId}`).to.have.property(logicalId);
    return resources[logicalId].Properties ?? {};
  };
  const functionProps = (name: string): Json => props(functionIds[name]);
  const sqsMappings = () =>
    ofType('AWS::Lambda::EventSourceMapping').filter(([, r]) => {
      const source = arnOf(r.Properties.EventSourceArn);
      return source !== undefined && resources[source]?.Type === 'AWS::SQS::Queue';
    });
  /** The serverless.yml function name an event source mapping invokes. */
  const mappedFunction = (mapping: Resource): string => {
    const target = arnOf(mapping.Properties.FunctionName);
    const name = Object.keys(functionIds).find((fn) => functionIds[fn] === target);
    expect(name, `function of mapping to ${target}`).to.be.a('string');
    return name as string;
  };

  before(async function () {
    this.timeout(BEFORE_TIMEOUT_MS);
    const packaged = await packagedService(STAGE); // shared with the other template suites
    packageDir = packaged.packageDir;
    packageOutput = packaged.output;
    resources = packaged.template.Resources;
    service = packaged.service;
    conditions = packaged.template.Conditions ?? {};

    functionIds = functionLogicalIds(packaged);
  });

  // configValidationMode is `warn` only because v3's schema predates nodejs24.x: every other finding still fails.
  it('passes serverless config validation, except for the runtime v3 does not know', function () {
    const findings = [...packageOutput.matchAll(/^\s+at '([^']+)': (.+)$/gm)].map(([, at, message]) => `${at}: ${message}`);
    expect(findings.filter((finding) => !finding.startsWith(`provider.runtime: `))).to.deep.equal([]);
  });

  describe('queues', function () {
    it('redrives the task queue to the DLQ after custom.maxReceiveCount receives', function () {
      const redrive = props(TASKS_QUEUE).RedrivePolicy;
      expect(redrive, 'TasksQueue RedrivePolicy').to.be.an('object');
      const policy = typeof redrive === 'string' ? JSON.parse(redrive) : redrive;
      expect(policy.deadLetterTargetArn).to.deep.equal(getAttArn(DLQ));
      expect(policy.maxReceiveCount).to.equal(service.custom.maxReceiveCount);
    });

    it('keeps dead-lettered messages for 14 days', function () {
      expect(props(DLQ).MessageRetentionPeriod).to.equal(DLQ_RETENTION_SECONDS);
    });

    it('feeds processTask from the task queue and monitorDlq from the DLQ, with partial batch failures', function () {
      const mappings = sqsMappings();
      const consumers: Record<string, string> = {};
      for (const [id, mapping] of mappings) {
        const p = mapping.Properties;
        expect(p.FunctionResponseTypes, `${id} FunctionResponseTypes`).to.deep.equal(['ReportBatchItemFailures']);
        expect(p.BatchSize, `${id} BatchSize`).to.be.greaterThan(1);
        consumers[mappedFunction(mapping)] = arnOf(p.EventSourceArn) as string;
      }
      expect(consumers).to.deep.equal(EXPECTED_CONSUMERS);
      expect(mappings).to.have.length(Object.keys(EXPECTED_CONSUMERS).length);
    });

    it("ends every API function before API Gateway's 29 s integration timeout, and gives the batch route the most of it", function () {
      const apiFunctions = Object.keys(EXPECTED_GRANTS).filter((name) => !['processTask', 'monitorDlq', 'reconcileTasks'].includes(name));
      for (const name of apiFunctions) expect(functionProps(name).Timeout, `${name} Timeout`).to.be.below(29);
      expect(functionProps('submitTasks').Timeout).to.be.at.least(20);
    });

    it("gives each queue a visibility timeout of at least 6x its consumer's timeout plus the batching window", function () {
      for (const [, mapping] of sqsMappings()) {
        const queueId = arnOf(mapping.Properties.EventSourceArn) as string;
        const consumer = mappedFunction(mapping);
        const timeout = functionProps(consumer).Timeout;
        const window = mapping.Properties.MaximumBatchingWindowInSeconds ?? 0;
        const visibility = props(queueId).VisibilityTimeout ?? 30;
        expect(timeout, `${consumer} Timeout`).to.be.a('number');
        expect(window, `${consumer} MaximumBatchingWindowInSeconds`).to.be.a('number');
        expect(visibility, `${queueId} VisibilityTimeout vs ${consumer} Timeout ${timeout} + window ${window}`).to.be.at.least(
          6 * timeout + window,
        );
      }
    });

    it("lets both queues take SQS's largest message (1 MiB), which the largest accepted body needs once escaped", function () {
      for (const queueId of [TASKS_QUEUE, DLQ])
        expect(props(queueId).MaximumMessageSize, `${queueId} MaximumMessageSize`).to.equal(MAX_MESSAGE_BYTES);
    });

    it('lets only the task queue use the DLQ as its dead-letter queue', function () {
      const raw = props(DLQ).RedriveAllowPolicy;
      expect(raw, 'TasksDeadLetterQueue RedriveAllowPolicy').to.not.equal(undefined);
      const policy = typeof raw === 'string' ? JSON.parse(raw) : raw;
      expect(policy.redrivePermission).to.equal('byQueue');
      // Spelled out from the name: a GetAtt of TasksQueue would be a cycle with its RedrivePolicy.
      const taskQueueArn = `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${props(TASKS_QUEUE).QueueName}`;
      expect(asArray<Json>(policy.sourceQueueArns).map(renderIntrinsic)).to.deep.equal([taskQueueArn]);
    });

    it('encrypts both queues at rest', function () {
      for (const queueId of [TASKS_QUEUE, DLQ]) {
        const p = props(queueId);
        expect(p.SqsManagedSseEnabled === true || p.KmsMasterKeyId !== undefined, `${queueId} encryption`).to.equal(true);
      }
    });
  });

  describe('IAM', function () {
    const roleOf = (name: string): string => {
      const role = arnOf(functionProps(name).Role);
      expect(role, `${name} Role is Fn::GetAtt [<role in this template>, Arn]`).to.be.a('string');
      return role as string;
    };

    /** Inline policies of a role plus IAM policies in the template attached to it, conditionals resolved. */
    const statementsOf = (roleId: string): Statement[] => {
      const role = resolveConditionals(props(roleId), conditions);
      const attachedIds = asArray<Json>(role.ManagedPolicyArns)
        .map(renderIntrinsic)
        .map((arn) => arn.match(/^\$\{(\w+)\}$/)?.[1])
        .filter((id): id is string => id !== undefined);
      const documents: Json[] = asArray<Json>(role.Policies).map((p) => p.PolicyDocument);
      for (const [id, r] of [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]) {
        const roles = asArray<Json>(r.Properties.Roles).map(renderIntrinsic);
        if (roles.includes(`\${${roleId}}`) || attachedIds.includes(id)) documents.push(r.Properties.PolicyDocument);
      }
      return documents.flatMap((d) => asArray<Statement>(d.Statement));
    };

    it('gives every function a role of its own and leaves no role unused', function () {
      const roles = Object.keys(functionIds).map(roleOf);
      for (const roleId of roles) expect(resources[roleId]?.Type, roleId).to.equal('AWS::IAM::Role');
      expect(new Set(roles).size, `roles ${roles.join(', ')}`).to.equal(roles.length);
      expect(ofType('AWS::IAM::Role').map(([id]) => id)).to.have.members(roles);
    });

    it('lets only Lambda assume the roles', function () {
      for (const [id, role] of ofType('AWS::IAM::Role')) {
        for (const s of asArray<Statement>(role.Properties.AssumeRolePolicyDocument.Statement)) {
          expect(s.Principal, `${id} trust principal`).to.deep.equal({ Service: 'lambda.amazonaws.com' });
          expect(asArray(s.Action), `${id} trust action`).to.deep.equal(['sts:AssumeRole']);
        }
      }
    });

    it("uses no wildcard, except the log streams of the function's own log group and X-Ray's write calls", function () {
      const isXrayWrite = (s: Statement) =>
        s.Effect === 'Allow' && [...asArray(s.Action)].sort().join() === [...XRAY_WRITE_ACTIONS].sort().join();
      const violations: string[] = [];
      for (const [name, fn] of Object.entries<Json>(service.functions)) {
        const roleId = roleOf(name);
        const ownLogs = ownLogStreamsPattern(fn.name);
        for (const s of statementsOf(roleId)) {
          if (s.NotAction !== undefined || s.NotResource !== undefined) violations.push(`${roleId}: NotAction/NotResource`);
          for (const action of asArray(s.Action)) if (action.includes('*')) violations.push(`${roleId}: action ${action}`);
          for (const resource of asArray(s.Resource).map(renderIntrinsic)) {
            const allowed = ownLogs.test(resource) || (resource === '*' && isXrayWrite(s));
            if (resource.includes('*') && !allowed) violations.push(`${roleId}: resource ${resource}`);
          }
        }
      }
      expect(violations).to.deep.equal([]);
    });

    it('grants X-Ray writes only while the tracing param is on', async function () {
      this.timeout(30_000);
      const printed = (await printedConfig(STAGE, { tracing: 'false' })).resources;
      for (const name of Object.keys(functionIds)) {
        const roleId = roleOf(name);
        const role = resolveConditionals(printed.Resources[roleId].Properties, printed.Conditions);
        const actions = asArray<Json>(role.Policies)
          .flatMap((p) => asArray<Statement>(p.PolicyDocument.Statement))
          .flatMap((st) => asArray(st.Action));
        expect(
          actions.filter((action) => action.startsWith('xray:')),
          roleId,
        ).to.deep.equal([]);
      }
      expect(evaluateCondition({ Condition: 'TracingEnabled' }, conditions), 'TracingEnabled by default').to.equal(true);
    });

    it('grants each function exactly the actions it needs, on its own resources', function () {
      const pairs = (grants: Grant[]) =>
        [...new Set(grants.flatMap((g) => g.actions.flatMap((a) => g.resources.map((r) => `${a} on ${r}`))))].sort();
      const actual: Record<string, string[]> = {};
      for (const [name, fn] of Object.entries<Json>(service.functions)) {
        const ownLogs = ownLogStreamsPattern(fn.name);
        const grants = statementsOf(roleOf(name))
          .filter((s) => s.Effect === 'Allow')
          .map((s) => ({
            actions: asArray(s.Action),
            resources: asArray(s.Resource)
              .map(renderIntrinsic)
              .map((r) => (ownLogs.test(r) ? OWN_LOG_GROUP : (arnOf(r) ?? r))),
          }));
        actual[name] = pairs(grants);
      }
      const expected = Object.fromEntries(Object.entries(EXPECTED_GRANTS).map(([fn, g]) => [fn, pairs(g)]));
      expect(actual).to.deep.equal(expected);
    });

    it('attaches no broad managed policy', function () {
      for (const [id, role] of ofType('AWS::IAM::Role')) {
        const external = asArray<Json>(role.Properties.ManagedPolicyArns)
          .map(renderIntrinsic)
          .filter((arn) => !/^\$\{\w+\}$/.test(arn)); // a Ref to a policy in this template is checked above
        for (const arn of external) {
          expect(ALLOWED_MANAGED_POLICIES, `${id} attaches ${arn}`).to.include(arn.split('/').pop());
        }
      }
    });
  });

  describe('API Gateway', function () {
    /** The resource path of an AWS::ApiGateway::Resource, from its PathPart and parents. */
    const pathOf = (resourceId: Json): string => {
      if (resourceId?.['Fn::GetAtt']) return ''; // the API's root resource
      const resource = props(resourceId.Ref);
      return `${pathOf(resource.ParentId)}/${resource.PathPart}`;
    };
    const keyRequiredByRoute = () =>
      Object.fromEntries(
        ofType('AWS::ApiGateway::Method')
          .filter(([, r]) => r.Properties.HttpMethod !== 'OPTIONS')
          .map(([, r]) => [`${r.Properties.HttpMethod} ${pathOf(r.Properties.ResourceId)}`, r.Properties.ApiKeyRequired]),
      );

    it('requires an API key on every data route, and on every method but the console and the API description', function () {
      const routes = keyRequiredByRoute();

      for (const route of DATA_ROUTES) expect(routes[route], route).to.equal(true);
      for (const [route, required] of Object.entries(routes)) {
        expect(required, `${route} ApiKeyRequired`).to.equal(!UNKEYED_ROUTES.includes(route));
      }
    });

    it('serves the console and the API description without a key, through the console function only', function () {
      const routes = keyRequiredByRoute();
      const consoleArn = { 'Fn::GetAtt': [functionIds[CONSOLE_FUNCTION], 'Arn'] };

      for (const route of UNKEYED_ROUTES) expect(routes[route], `${route} exists without a key`).to.equal(false);
      for (const [id, method] of ofType('AWS::ApiGateway::Method')) {
        const route = `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId)}`;
        const uri = JSON.stringify(method.Properties.Integration?.Uri);
        expect(uri.includes(JSON.stringify(consoleArn)), `${id} (${route}) integrates the console function`).to.equal(
          UNKEYED_ROUTES.includes(route),
        );
      }
    });

    it('throttles through a usage plan linked to the API key and the stage', function () {
      const throttle = service.provider.apiGateway.usagePlan.throttle;
      const plans = ofType('AWS::ApiGateway::UsagePlan');
      expect(plans, 'usage plans').to.have.length(1);
      const [planId, plan] = plans[0];
      expect(plan.Properties.Throttle).to.deep.equal({ RateLimit: throttle.rateLimit, BurstLimit: throttle.burstLimit });
      expect(plan.Properties.Throttle.RateLimit).to.be.greaterThan(0);
      expect(plan.Properties.ApiStages).to.deep.include({ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: STAGE });

      const keys = ofType('AWS::ApiGateway::ApiKey').map(([id]) => id);
      expect(keys, 'API keys').to.have.length.greaterThan(0);
      const linked = ofType('AWS::ApiGateway::UsagePlanKey')
        .filter(([, r]) => renderIntrinsic(r.Properties.UsagePlanId) === `\${${planId}}`)
        .map(([, r]) => renderIntrinsic(r.Properties.KeyId));
      expect(linked).to.have.members(keys.map((id) => `\${${id}}`));
    });

    // A gateway response takes effect only with a deployment made after it exists.
    it('creates every gateway response before the deployment, so one deploy applies them', function () {
      const responses = ofType('AWS::ApiGateway::GatewayResponse').map(([id]) => id);
      const deployments = ofType('AWS::ApiGateway::Deployment');
      expect(responses, 'gateway responses').to.have.length.greaterThan(0);
      expect(deployments, 'deployments').to.have.length(1);
      for (const [id, deployment] of deployments) {
        expect(asArray(deployment.DependsOn), `${id} DependsOn`).to.include.members(responses);
      }
    });

    it('traces the stage with X-Ray and writes JSON access logs, without execution logs', function () {
      expect(service.provider.tracing, 'provider.tracing').to.deep.equal({ apiGateway: true, lambda: true });
      const logs = service.provider.logs.restApi;
      expect(logs).to.deep.include({ accessLogging: true, executionLogging: false, fullExecutionData: false });
      const format = JSON.parse(logs.format);
      expect(format).to.include({ requestId: '$context.requestId', xrayTraceId: '$context.xrayTraceId' });
      expect(Object.values(format), 'access log fields (the key id, never the key)').to.not.include('$context.identity.apiKey');
      const logGroup = ofType('AWS::Logs::LogGroup').find(
        ([, r]) => r.Properties.LogGroupName === `/aws/api-gateway/${service.service}-${STAGE}`,
      );
      expect(logGroup, 'access log group').to.not.equal(undefined);
    });

    // The role is the account's, set once (README): the stack must not create or replace it.
    it("leaves the account's API Gateway CloudWatch role alone", function () {
      expect(service.provider.logs.restApi.roleManagedExternally).to.equal(true);
      const types = Object.values(resources).map((r) => r.Type);
      expect(types).to.not.include.oneOf(['Custom::ApiGatewayAccountRole', 'AWS::ApiGateway::Account']);
    });

    it('turns tracing and access logs off by param, and leaves them off on the local stage', async function () {
      this.timeout(30_000);
      const [overridden, local] = await Promise.all([
        printedConfig(STAGE, { tracing: 'false', apiAccessLogging: 'false' }),
        printedConfig('local'),
      ]);
      for (const [what, printed] of [
        ['--param', overridden],
        ['local', local],
      ]) {
        expect(printed.provider.tracing, `${what} tracing`).to.deep.equal({ apiGateway: false, lambda: false });
        expect(printed.provider.logs.restApi.accessLogging, `${what} accessLogging`).to.equal(false);
        expect(String(printed.provider.environment.POWERTOOLS_TRACE_ENABLED), `${what} POWERTOOLS_TRACE_ENABLED`).to.equal('false');
      }
    });
  });

  describe('deployment bucket', function () {
    const BUCKET = 'ServerlessDeploymentBucket';

    it('blocks every kind of public access', function () {
      expect(props(BUCKET).PublicAccessBlockConfiguration).to.deep.equal({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    });

    it('encrypts at rest by default and on every upload', function () {
      const rules = props(BUCKET).BucketEncryption?.ServerSideEncryptionConfiguration ?? [];
      expect(rules.map((rule: Json) => rule.ServerSideEncryptionByDefault?.SSEAlgorithm)).to.deep.equal(['AES256']);
      expect(service.provider.deploymentBucketObject?.serverSideEncryption, 'upload ServerSideEncryption').to.equal('AES256');
    });

    it('refuses requests without TLS', function () {
      const policy = ofType('AWS::S3::BucketPolicy').find(([, r]) => renderIntrinsic(r.Properties.Bucket) === `\${${BUCKET}}`);
      expect(policy, 'bucket policy').to.not.equal(undefined);
      const statements = asArray<Json>(policy![1].Properties.PolicyDocument.Statement);
      const denyWithoutTls = statements.find(
        (st) =>
          st.Effect === 'Deny' && st.Principal === '*' && st.Action === 's3:*' && st.Condition?.Bool?.['aws:SecureTransport'] === false,
      );
      expect(denyWithoutTls, 'Deny s3:* without aws:SecureTransport').to.not.equal(undefined);
    });
  });

  describe('data and logs', function () {
    it('encrypts the table and enables point-in-time recovery', function () {
      const table = props(TABLE);
      expect(table.SSESpecification?.SSEEnabled, 'SSEEnabled').to.equal(true);
      expect(table.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled, 'PITR').to.equal(true);
    });

    it('turns on TTL on expiresAt, the attribute the store writes on finished tasks and payloads', function () {
      expect(props(TABLE).TimeToLiveSpecification).to.deep.equal({ AttributeName: EXPIRES_AT, Enabled: true });
    });

    it('gives every function the index and retention settings of the stage (16 shards, SUCCEEDED indexed, 30 days)', function () {
      for (const name of Object.keys(functionIds)) {
        const env = functionProps(name).Environment?.Variables ?? {};
        expect(
          { shards: String(env.INDEX_SHARDS), succeeded: String(env.INDEX_SUCCEEDED), days: String(env.RETENTION_DAYS) },
          name,
        ).to.deep.equal({ shards: '16', succeeded: 'true', days: '30' });
      }
    });

    it('gives every function a log group with the configured retention', function () {
      const logGroups = ofType('AWS::Logs::LogGroup').map(([, r]) => r.Properties);
      for (const [id, p] of ofType('AWS::Logs::LogGroup')) {
        expect(p.Properties.RetentionInDays, `${id} RetentionInDays`).to.equal(service.provider.logRetentionInDays);
      }
      for (const fn of Object.values<Json>(service.functions)) {
        expect(
          logGroups.map((p) => p.LogGroupName),
          fn.name,
        ).to.include(`/aws/lambda/${fn.name}`);
      }
    });
  });

  describe('functions', function () {
    it(`run on ${RUNTIME}`, function () {
      for (const name of Object.keys(functionIds)) expect(functionProps(name).Runtime, name).to.equal(RUNTIME);
    });

    it('trace actively with X-Ray, and tell the Powertools Tracer so', function () {
      for (const name of Object.keys(functionIds)) {
        const p = functionProps(name);
        expect(p.TracingConfig, `${name} TracingConfig`).to.deep.equal({ Mode: 'Active' });
        expect(String(p.Environment?.Variables?.POWERTOOLS_TRACE_ENABLED), `${name} POWERTOOLS_TRACE_ENABLED`).to.equal('true');
      }
    });

    it('find the queues and the table through references, not local URLs', function () {
      for (const name of Object.keys(functionIds)) {
        const env = functionProps(name).Environment?.Variables ?? {};
        expect(env.TASKS_QUEUE_URL, `${name} TASKS_QUEUE_URL`).to.deep.equal({ Ref: TASKS_QUEUE });
        expect(env.DLQ_URL, `${name} DLQ_URL`).to.deep.equal({ Ref: DLQ });
        expect(env.TASKS_TABLE, `${name} TASKS_TABLE`).to.equal(props(TABLE).TableName);
        for (const [key, value] of Object.entries(env)) {
          expect(JSON.stringify(value), `${name} ${key}`).to.not.match(/localhost|127\.0\.0\.1|:9324|000000000000/);
        }
      }
    });

    it('sign listing cursors with a key Secrets Manager generates, resolved at deploy time (no secret in the repo or template)', function () {
      const secret = props('CursorSigningKey');
      expect(resources.CursorSigningKey.Type).to.equal('AWS::SecretsManager::Secret');
      expect(secret.GenerateSecretString.PasswordLength).to.be.at.least(32);
      expect(secret).to.not.have.property('SecretString');
      for (const name of Object.keys(functionIds).filter((fn) => fn !== CONSOLE_FUNCTION)) {
        const key = functionProps(name).Environment?.Variables?.CURSOR_SIGNING_KEY;
        expect(key, `${name} CURSOR_SIGNING_KEY`).to.deep.equal({
          'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'CursorSigningKey' }, ':SecretString}}']],
        });
      }
      // The console reads no data: it gets no key.
      expect(functionProps(CONSOLE_FUNCTION).Environment?.Variables?.CURSOR_SIGNING_KEY, CONSOLE_FUNCTION).to.equal('');
    });

    it('each have a deployment package', function () {
      for (const name of Object.keys(functionIds)) {
        const zip = path.join(packageDir, `${name}.zip`);
        expect(fs.existsSync(zip), `${name}.zip`).to.equal(true);
        console.log(`      ${name}.zip: ${(fs.statSync(zip).size / 1024 / 1024).toFixed(2)} MiB`);
        expect(functionProps(name).Code.S3Key, `${name} Code.S3Key`).to.match(new RegExp(`/${name}\\.zip$`));
      }
    });

    describe("the console function's zip", function () {
      let unzipped: Record<string, string>;

      before(function () {
        this.timeout(60_000);
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'function-zips-'));
        process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
        unzipped = Object.fromEntries(
          Object.keys(functionIds).map((name) => {
            unzip(path.join(packageDir, `${name}.zip`), path.join(root, name));
            return [name, path.join(root, name)];
          }),
        );
      });

      it('holds the built console, and no other zip does', function () {
        for (const { file } of Object.values(CONSOLE_FILES)) {
          expect(fs.existsSync(path.join(unzipped[CONSOLE_FUNCTION], 'dist', 'console', file)), `dist/console/${file}`).to.equal(true);
        }
        for (const name of Object.keys(functionIds).filter((fn) => fn !== CONSOLE_FUNCTION)) {
          expect(fs.existsSync(path.join(unzipped[name], 'dist')), `dist/ in ${name}.zip`).to.equal(false);
        }
      });

      it('serves, from the zip alone, the page, its script and the API description', async function () {
        const dir = unzipped[CONSOLE_FUNCTION];
        const { handler } = require(path.join(dir, 'handlers', 'serveConsole.js')) as {
          handler: (event: Partial<APIGatewayProxyEvent>) => Promise<APIGatewayProxyResult>;
        };

        const page = await handler({ resource: '/console', pathParameters: null });
        const script = await handler({ resource: '/console/{asset}', pathParameters: { asset: 'console.js' } });
        const spec = await handler({ resource: '/openapi.json', pathParameters: null });

        expect([page.statusCode, page.headers?.['Content-Type']]).to.deep.equal([200, 'text/html; charset=utf-8']);
        expect(page.body).to.include('<script src="console/console.js" defer></script>');
        expect(page.headers?.['Content-Security-Policy']).to.match(/^default-src 'self'; script-src 'self';/);
        expect([script.statusCode, script.body.length > 1000]).to.deep.equal([200, true]);
        expect(JSON.parse(spec.body).openapi).to.equal('3.1.0');
      });
    });
  });
});
