/**
 * Checks the monitoring part of the packaged CloudFormation template: the alarms watch
 * the metrics the code emits (lib/adapters/metrics.ts, in the functions' EMF namespace) and the
 * right queues and functions, notify the alarm topic, take their thresholds and periods
 * from params; the e-mail subscription exists only with alarmEmail; the dashboard body
 * is valid JSON once substituted and shows every metric of METRIC and both queues.
 */
import { expect } from 'chai';
import { MAX_DELAY_SECONDS } from '../../lib/config';
import { METRIC } from '../../lib/adapters/metrics';
import {
  BEFORE_TIMEOUT_MS,
  STAGE,
  evaluateCondition,
  functionLogicalIds,
  packagedService,
  printedConfig,
  type CfnResource,
  type CfnTemplate,
  type Json,
} from './packagedTemplate';

const TASKS_QUEUE = 'TasksQueue';
const DLQ = 'TasksDeadLetterQueue';
const ALARM_EMAIL = 'ops@example.com';

/** Values the test substitutes for pseudo parameters when it renders an Fn::Sub. */
const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

type Comparison = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';

/** What an alarm must watch. Dimension values are strings or intrinsics (matched by `sameValue`). */
interface ExpectedAlarm {
  namespace: string;
  metric: string;
  dimensions: Record<string, Json>;
  statistic: string;
  comparison: Comparison;
  /** Checks the default threshold, the period and the number of evaluation periods (all in seconds). */
  check(threshold: number, period: number, evaluationPeriods: number): void;
}

const isPeriod = (period: number) => period >= 60 && period % 60 === 0;

/** A Lambda Errors/Throttles alarm: any one in a period (of at most maxPeriod seconds, when given). */
function lambdaAlarm(functionId: string, metric: 'Errors' | 'Throttles', maxPeriod = Infinity): ExpectedAlarm {
  return {
    namespace: 'AWS/Lambda',
    metric,
    dimensions: { FunctionName: { Ref: functionId } },
    statistic: 'Sum',
    comparison: 'GreaterThanOrEqualToThreshold',
    check: (threshold, period) => {
      expect(threshold).to.equal(1);
      expect(isPeriod(period) && period <= maxPeriod, `period ${period}`).to.equal(true);
    },
  };
}

/** Renders `Fn::Sub` text: pseudo parameters get PSEUDO_PARAMETERS, `${Id}` / `${Id.Attr}` become `<Id>` / `<Id.Attr>`. */
function renderSub(sub: Json, resources: Record<string, CfnResource>): string {
  const [text, variables] = Array.isArray(sub) ? sub : [sub, {}];
  expect(variables, 'Fn::Sub variable map (not supported by this test)').to.deep.equal({});
  expect(text).to.be.a('string');
  return (text as string).replace(/\$\{(!?)([^}]*)\}/g, (match, literal: string, name: string) => {
    if (literal) return `\${${name}}`;
    if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name];
    const [logicalId, attribute] = name.split('.');
    expect(resources, `${match} in Fn::Sub: no such resource`).to.have.property(logicalId);
    return attribute === undefined ? `<${logicalId}>` : `<${logicalId}.${attribute}>`;
  });
}

interface DashboardMetric {
  widget: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  stat: string;
}

/** Every metric line of the dashboard's metric widgets, in the explicit form (no "..." shorthand). */
function dashboardMetrics(body: Json): DashboardMetric[] {
  const metrics: DashboardMetric[] = [];
  for (const widget of body.widgets.filter((w: Json) => w.type === 'metric')) {
    const p = widget.properties;
    expect(p.region, `region of widget "${p.title}"`).to.equal(PSEUDO_PARAMETERS['AWS::Region']);
    for (const line of p.metrics as Json[]) {
      // A metric-math line (SEARCH) is checked by the per-type test.
      if (line.length === 1 && typeof line[0]?.expression === 'string') continue;
      const options = typeof line[line.length - 1] === 'object' ? line[line.length - 1] : {};
      const parts: string[] = typeof line[line.length - 1] === 'object' ? line.slice(0, -1) : line;
      expect(parts, `metric line of "${p.title}" (write it out in full)`).to.not.include.oneOf(['...', '.']);
      expect(parts.length % 2, `metric line ${JSON.stringify(line)}: namespace, name, then dimension pairs`).to.equal(0);
      const [namespace, name, ...pairs] = parts;
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
      metrics.push({ widget: p.title, namespace, name, dimensions, stat: options.stat ?? p.stat ?? 'Average' });
    }
  }
  return metrics;
}

describe(`Monitoring (serverless package --stage ${STAGE})`, function () {
  let template: CfnTemplate;
  let resources: Record<string, CfnResource>;
  let service: Json;
  let functionIds: Record<string, string>;
  let namespace: string;
  let serviceDimension: string;
  let expectedAlarms: Record<string, ExpectedAlarm>;

  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const props = (logicalId: string): Json => {
    expect(resources, `resource ${logicalId}`).to.have.property(logicalId);
    return resources[logicalId].Properties ?? {};
  };
  const onlyOfType = (type: string): [string, CfnResource] => {
    const found = ofType(type);
    expect(
      found.map(([id]) => id),
      type,
    ).to.have.length(1);
    return found[0];
  };
  const alarmTopicId = () => onlyOfType('AWS::SNS::Topic')[0];
  /** A queue's name as an alarm dimension: its QueueName attribute, or the name itself. */
  const queueName = (queueId: string) => ({ 'QueueName of': queueId });
  const sameValue = (actual: Json, expected: Json): boolean =>
    expected && typeof expected === 'object' && 'QueueName of' in expected
      ? JSON.stringify(actual) === JSON.stringify({ 'Fn::GetAtt': [expected['QueueName of'], 'QueueName'] }) ||
        actual === props(expected['QueueName of']).QueueName
      : JSON.stringify(actual) === JSON.stringify(expected);

  before(async function () {
    this.timeout(BEFORE_TIMEOUT_MS);
    const packaged = await packagedService();
    template = packaged.template;
    resources = template.Resources;
    service = packaged.service;

    functionIds = functionLogicalIds(packaged);
    // Where the code puts its metrics (lib/config.ts reads these); the alarms must look there.
    namespace = `${service.service}/${STAGE}`;
    serviceDimension = service.service;

    const retryBound = Math.max(
      MAX_DELAY_SECONDS,
      service.custom.maxReceiveCount * props(TASKS_QUEUE).VisibilityTimeout, // redeliveries of one message
    );
    expectedAlarms = {
      TasksFailedAlarm: {
        namespace,
        metric: METRIC.TasksFailed,
        dimensions: { service: serviceDimension },
        statistic: 'Sum',
        comparison: 'GreaterThanOrEqualToThreshold',
        check: (threshold, period, evaluations) => {
          expect(threshold, 'any FAILED task').to.equal(1);
          expect(period).to.be.oneOf([60, 300]);
          expect(evaluations).to.equal(1);
        },
      },
      DeadLetterQueueNotDrainedAlarm: {
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queueName(DLQ) },
        statistic: 'Maximum',
        comparison: 'GreaterThanOrEqualToThreshold',
        check: (threshold, period, evaluations) => {
          expect(threshold, 'any message left in the DLQ').to.equal(1);
          expect(isPeriod(period), `period ${period}`).to.equal(true);
          expect(period * evaluations, 'DLQ non-empty for at least 10 minutes').to.be.within(600, 3600);
        },
      },
      DeadLetterQueueAgeAlarm: {
        namespace: 'AWS/SQS',
        metric: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: queueName(DLQ) },
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        check: (threshold, period) => {
          // monitorDlq consumes a message within seconds; several visibility timeouts mean it keeps failing.
          expect(threshold)
            .to.be.at.least(3 * props(DLQ).VisibilityTimeout)
            .and.at.most(3600);
          expect(isPeriod(period), `period ${period}`).to.equal(true);
        },
      },
      TasksQueueAgeAlarm: {
        namespace: 'AWS/SQS',
        metric: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: queueName(TASKS_QUEUE) },
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        check: (threshold, period) => {
          expect(threshold, `above the longest wait of a healthy retry (${retryBound} s)`).to.be.greaterThan(retryBound);
          expect(isPeriod(period), `period ${period}`).to.equal(true);
        },
      },
      ProcessTaskErrorsAlarm: lambdaAlarm(functionIds.processTask, 'Errors'),
      ProcessTaskThrottlesAlarm: lambdaAlarm(functionIds.processTask, 'Throttles'),
      MonitorDlqErrorsAlarm: lambdaAlarm(functionIds.monitorDlq, 'Errors'),
      // A failed sweep shows up within the reconciler's 5-minute schedule.
      ReconcileTasksErrorsAlarm: lambdaAlarm(functionIds.reconcileTasks, 'Errors', 300),
    };
  });

  describe('alarms', function () {
    it('look for the custom metrics where the functions publish them', function () {
      for (const [name, id] of Object.entries(functionIds)) {
        const env = props(id).Environment?.Variables ?? {};
        expect(env.POWERTOOLS_METRICS_NAMESPACE, `${name} POWERTOOLS_METRICS_NAMESPACE`).to.equal(namespace);
        expect(env.POWERTOOLS_SERVICE_NAME, `${name} POWERTOOLS_SERVICE_NAME (the service dimension)`).to.equal(serviceDimension);
      }
    });

    it('are exactly the expected ones', function () {
      expect(ofType('AWS::CloudWatch::Alarm').map(([id]) => id)).to.have.members(Object.keys(expectedAlarms));
    });

    it('watch the right metric of the right queue or function, with sensible defaults', function () {
      for (const [id, expected] of Object.entries(expectedAlarms)) {
        const p = props(id);
        expect(p.Namespace, `${id} Namespace`).to.equal(expected.namespace);
        expect(p.MetricName, `${id} MetricName`).to.equal(expected.metric);
        expect(p.Statistic, `${id} Statistic`).to.equal(expected.statistic);
        expect(p.ComparisonOperator, `${id} ComparisonOperator`).to.equal(expected.comparison);
        expect(p.Metrics, `${id} uses Metrics instead of MetricName`).to.equal(undefined);
        const dimensions = (p.Dimensions as Json[]) ?? [];
        expect(
          dimensions.map((d) => d.Name),
          `${id} dimension names`,
        ).to.have.members(Object.keys(expected.dimensions));
        for (const d of dimensions) {
          expect(
            sameValue(d.Value, expected.dimensions[d.Name]),
            `${id} dimension ${d.Name}: ${JSON.stringify(d.Value)}, expected ${JSON.stringify(expected.dimensions[d.Name])}`,
          ).to.equal(true);
        }
        expect(p.EvaluationPeriods, `${id} EvaluationPeriods`).to.be.a('number').and.at.least(1);
        if (p.DatapointsToAlarm !== undefined) expect(p.DatapointsToAlarm).to.be.within(1, p.EvaluationPeriods);
        try {
          expected.check(p.Threshold, p.Period, p.EvaluationPeriods);
        } catch (error) {
          (error as Error).message = `${id}: ${(error as Error).message}`;
          throw error;
        }
      }
    });

    it('treat missing data as OK (idle queues and functions publish nothing)', function () {
      for (const [id, alarm] of ofType('AWS::CloudWatch::Alarm')) {
        expect(alarm.Properties.TreatMissingData, `${id} TreatMissingData`).to.equal('notBreaching');
      }
    });

    it('notify the alarm topic on ALARM and on OK', function () {
      const topic = { Ref: alarmTopicId() };
      for (const [id, alarm] of ofType('AWS::CloudWatch::Alarm')) {
        expect(alarm.Properties.ActionsEnabled, `${id} ActionsEnabled`).to.not.equal(false);
        expect(alarm.Properties.AlarmActions, `${id} AlarmActions`).to.deep.equal([topic]);
        expect(alarm.Properties.OKActions, `${id} OKActions`).to.deep.equal([topic]);
      }
    });

    it('have names of their own stage, unique', function () {
      const names = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.AlarmName);
      for (const name of names)
        expect(name)
          .to.be.a('string')
          .and.match(new RegExp(`^${service.service}-${STAGE}-`));
      expect(new Set(names).size).to.equal(names.length);
    });

    it('take every threshold and period from params, so a stage can override them', async function () {
      this.timeout(60_000);
      const monitoringParams = Object.keys(service.initialServerlessConfig.params.default).filter((name) => /Alarm[A-Z]/.test(name));
      expect(monitoringParams.length, 'monitoring params in params.default').to.be.greaterThan(0);
      const overrides = Object.fromEntries(monitoringParams.map((name, i) => [name, 70_000 + 60 * i]));
      const overridden = (await printedConfig(STAGE, overrides)).resources.Resources;
      const fromParams = new Set(Object.values(overrides));
      for (const id of Object.keys(expectedAlarms)) {
        const p = overridden[id].Properties;
        for (const key of ['Threshold', 'Period']) {
          expect(fromParams.has(Number(p[key])), `${id} ${key} ${p[key]} comes from a param`).to.equal(true);
        }
      }
    });
  });

  describe('notifications', function () {
    it('go to a topic encrypted with a key CloudWatch may use for it (not aws/sns, which CloudWatch cannot use)', function () {
      const topic = props(alarmTopicId());
      const keyRef = topic.KmsMasterKeyId;
      expect(keyRef, 'KmsMasterKeyId is a Ref to a key of this template').to.have.property('Ref');
      const key = props(keyRef.Ref);
      expect(resources[keyRef.Ref].Type).to.equal('AWS::KMS::Key');
      expect(key.EnableKeyRotation, 'EnableKeyRotation').to.equal(true);

      const statements: Json[] = key.KeyPolicy.Statement;
      const cloudWatch = statements.filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
      expect(cloudWatch, 'statements for cloudwatch.amazonaws.com').to.have.length(1);
      expect(cloudWatch[0].Effect).to.equal('Allow');
      expect(cloudWatch[0].Action).to.have.members(['kms:Decrypt', 'kms:GenerateDataKey*']);
      const topicArn = renderSub(cloudWatch[0].Condition?.StringEquals?.['kms:EncryptionContext:aws:sns:topicArn']?.['Fn::Sub'], resources);
      expect(topicArn, 'the key serves CloudWatch for the alarm topic only').to.equal(
        `arn:aws:sns:us-east-1:123456789012:${topic.TopicName}`,
      );
      // Every other statement is for principals of this account only.
      for (const s of statements.filter((statement) => statement !== cloudWatch[0])) {
        expect(renderSub(s.Principal?.AWS?.['Fn::Sub'], resources)).to.equal('arn:aws:iam::123456789012:root');
      }
    });

    it('e-mail no one unless alarmEmail is set', function () {
      const [id, subscription] = onlyOfType('AWS::SNS::Subscription');
      expect(subscription.Condition, `${id} Condition`).to.be.a('string');
      const conditions = template.Conditions ?? {};
      expect(conditions, 'Conditions').to.have.property(subscription.Condition as string);
      expect(evaluateCondition({ Condition: subscription.Condition }, conditions), `${subscription.Condition}`).to.equal(false);
      expect(subscription.Properties.TopicArn).to.deep.equal({ Ref: alarmTopicId() });
      expect(subscription.Properties.Protocol).to.equal('email');
    });

    it(`e-mail alarmEmail when it is set (serverless print --param="alarmEmail=${ALARM_EMAIL}")`, async function () {
      this.timeout(60_000);
      const printed = (await printedConfig(STAGE, { alarmEmail: ALARM_EMAIL })).resources;
      const [id, subscription] = onlyOfType('AWS::SNS::Subscription');
      const printedSubscription = printed.Resources[id];
      expect(subscription.Condition, `${id} Condition`).to.be.a('string');
      expect(printedSubscription.Condition).to.equal(subscription.Condition);
      expect(evaluateCondition({ Condition: subscription.Condition }, printed.Conditions)).to.equal(true);
      expect(printedSubscription.Properties.Endpoint).to.equal(ALARM_EMAIL);
      expect(printedSubscription.Properties.Protocol).to.equal('email');
    });
  });

  describe('dashboard', function () {
    let body: Json;
    let metrics: DashboardMetric[];
    const find = (name: string, dimensions: Record<string, string>, metricNamespace: string) =>
      metrics.filter(
        (m) => m.namespace === metricNamespace && m.name === name && JSON.stringify(m.dimensions) === JSON.stringify(dimensions),
      );

    before(function () {
      const [, dashboard] = onlyOfType('AWS::CloudWatch::Dashboard');
      const source = dashboard.Properties.DashboardBody;
      expect(source, 'DashboardBody is an Fn::Sub').to.have.property('Fn::Sub');
      const rendered = renderSub(source['Fn::Sub'], resources);
      try {
        body = JSON.parse(rendered);
      } catch (error) {
        throw new Error(`DashboardBody is not JSON after substitution: ${(error as Error).message}\n${rendered}`);
      }
      metrics = dashboardMetrics(body);
    });

    it('lays its widgets out on the 24-column grid', function () {
      expect(body.widgets).to.be.an('array').that.is.not.empty;
      for (const w of body.widgets) {
        expect(w.x + w.width, `widget "${w.properties?.title}"`).to.be.at.most(24);
        expect(w.height, `widget "${w.properties?.title}"`).to.be.at.least(1);
      }
    });

    it('shows every metric of lib/adapters/metrics.ts METRIC, in the namespace and dimension the code publishes', function () {
      for (const name of Object.values(METRIC)) {
        const found = find(name, { service: serviceDimension }, namespace);
        expect(found, `${name} on the dashboard`).to.not.be.empty;
        const stats = found.map((m) => m.stat);
        if (name === METRIC.EndToEndTime) expect(stats, name).to.include.members(['p50', 'p99']);
        else expect(stats, `${name} is a count`).to.include('Sum');
      }
    });

    it('shows the attempt and task counts per task type: SEARCH over the {namespace, service, type} dimension set the code publishes', function () {
      const expressions: string[] = body.widgets
        .filter((w: Json) => w.type === 'metric')
        .flatMap((w: Json) =>
          (w.properties.metrics as Json[]).filter((l) => l.length === 1 && l[0].expression).map((l) => l[0].expression),
        );
      for (const name of [METRIC.AttemptsSucceeded, METRIC.AttemptsFailed, METRIC.TasksFailed, METRIC.TasksCancelled]) {
        expect(expressions, `${name} by type`).to.include(
          `SEARCH('{"${namespace}",service,type} service="${serviceDimension}" MetricName="${name}"', 'Sum', 60)`,
        );
      }
    });

    it('shows the depth and the age of the oldest message of both queues', function () {
      for (const queueId of [TASKS_QUEUE, DLQ]) {
        const dimensions = { QueueName: `<${queueId}.QueueName>` };
        for (const metric of [
          'ApproximateNumberOfMessagesVisible',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateAgeOfOldestMessage',
        ]) {
          expect(find(metric, dimensions, 'AWS/SQS'), `${metric} of ${queueId}`).to.not.be.empty;
        }
      }
    });

    it("shows the processor's errors, throttles and duration", function () {
      const dimensions = { FunctionName: `<${functionIds.processTask}>` };
      for (const metric of ['Errors', 'Throttles', 'Duration']) {
        expect(find(metric, dimensions, 'AWS/Lambda'), `processTask ${metric}`).to.not.be.empty;
      }
    });

    it('shows the state of every alarm', function () {
      const alarms = body.widgets.filter((w: Json) => w.type === 'alarm').flatMap((w: Json) => w.properties.alarms);
      expect(alarms).to.have.members(ofType('AWS::CloudWatch::Alarm').map(([id]) => `<${id}.Arn>`));
    });
  });

  describe('outputs', function () {
    it('give the alarm topic ARN and the dashboard name and URL', function () {
      const outputs = template.Outputs ?? {};
      const [dashboardId] = onlyOfType('AWS::CloudWatch::Dashboard');
      expect(outputs.AlarmTopicArn?.Value).to.deep.equal({ Ref: alarmTopicId() });
      expect(outputs.MonitoringDashboardName?.Value).to.deep.equal({ Ref: dashboardId });
      expect(renderSub(outputs.MonitoringDashboardUrl?.Value?.['Fn::Sub'], resources)).to.equal(
        `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=<${dashboardId}>`,
      );
    });
  });

  describe('local stage', function () {
    it('still resolves (npm start reads serverless print --stage local; offline ignores these resources)', async function () {
      this.timeout(60_000);
      const local = await printedConfig('local');
      expect(local.resources.Resources).to.include.keys(Object.keys(expectedAlarms));
      expect(local.provider.environment.POWERTOOLS_METRICS_NAMESPACE).to.equal(`${service.service}/local`);
    });
  });
});
