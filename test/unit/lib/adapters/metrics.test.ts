import { Metrics } from '@aws-lambda-powertools/metrics';
import { expect } from 'chai';
import sinon from 'sinon';
import { EmfMetrics, METRIC } from '../../../../lib/adapters/metrics';

describe('EmfMetrics', () => {
  afterEach(() => sinon.restore());

  it('hands its recorder one EMF line per publish: the namespace, the service dimension and every value recorded', () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics('task-pipeline/test', 'task-pipeline', (line) => lines.push(line));

    metrics.count(METRIC.TasksSubmitted);
    metrics.count(METRIC.TasksSubmitted, 2);
    metrics.milliseconds(METRIC.EndToEndTime, 1500);
    metrics.publish();

    expect(lines).to.have.length(1);
    const emf = JSON.parse(lines[0]);
    expect(emf._aws.CloudWatchMetrics).to.deep.equal([
      {
        Namespace: 'task-pipeline/test',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'TasksSubmitted', Unit: 'Count' },
          { Name: 'EndToEndTime', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(emf).to.deep.include({ service: 'task-pipeline', TasksSubmitted: [1, 2], EndToEndTime: 1500 });
  });

  it('writes nothing when nothing was recorded since the last publish', () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics('task-pipeline/test', 'task-pipeline', (line) => lines.push(line));

    metrics.publish();
    metrics.count(METRIC.TasksFailed);
    metrics.publish();
    metrics.publish();

    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0])).to.include({ TasksFailed: 1 });
  });

  it('hands a batch of 150 values to its recorder in two lines, none of them to stdout', () => {
    const lines: string[] = [];
    const printed = sinon.stub(Metrics.prototype, 'publishStoredMetrics');
    const metrics = new EmfMetrics('task-pipeline/test', 'task-pipeline', (line) => lines.push(line));

    for (let i = 0; i < 150; i++) metrics.count(METRIC.TasksSubmitted, 1, 'simulated');
    metrics.publish();

    expect(printed.callCount).to.equal(0);
    const values = (service: string[]) =>
      lines
        .map((line) => JSON.parse(line))
        .filter((emf) => JSON.stringify(emf._aws.CloudWatchMetrics[0].Dimensions) === JSON.stringify([service]))
        .map((emf) => emf.TasksSubmitted.length);
    expect(values(['service'])).to.deep.equal([99, 51]);
    expect(values(['service', 'type'])).to.deep.equal([99, 51]);
  });

  it('leaves the printing to Powertools (stdout, for CloudWatch Logs) without a recorder', () => {
    const publish = sinon.stub(Metrics.prototype, 'publishStoredMetrics');
    const metrics = new EmfMetrics('task-pipeline/test', 'task-pipeline');

    metrics.count(METRIC.TasksRedriven);
    metrics.publish();

    expect(publish.callCount).to.equal(1);
  });
});
