import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Names of the metrics the pipeline emits; the metric table in docs/operations.md and the alarms use the same names. */
export const METRIC = {
  TasksSubmitted: 'TasksSubmitted',
  AttemptsSucceeded: 'AttemptsSucceeded',
  AttemptsFailed: 'AttemptsFailed',
  RetriesScheduled: 'RetriesScheduled',
  TasksDeadLettered: 'TasksDeadLettered',
  TasksFailed: 'TasksFailed',
  TasksRedriven: 'TasksRedriven',
  /** Stuck tasks whose awaited message the reconciler re-sent. */
  TasksReconciled: 'TasksReconciled',
  /** Milliseconds from submit (createdAt) to SUCCEEDED or FAILED. */
  EndToEndTime: 'EndToEndTime',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Where use cases record metrics; no AWS types leak into the domain. */
export interface MetricsSink {
  count(name: MetricName, value?: number): void;
  milliseconds(name: MetricName, value: number): void;
  /** Writes what was recorded during this invocation; handlers call it once at the end. */
  publish(): void;
}

/** A sink that drops everything (tools and tests that do not look at metrics). */
export const noMetrics: MetricsSink = { count: () => undefined, milliseconds: () => undefined, publish: () => undefined };

/**
 * Metrics in CloudWatch Embedded Metric Format through Powertools: one JSON line per
 * invocation on stdout, turned into metrics by CloudWatch Logs (no PutMetricData calls).
 */
export class EmfMetrics implements MetricsSink {
  private readonly metrics: Metrics;
  private pending = 0;

  constructor(namespace: string, serviceName: string) {
    this.metrics = new Metrics({ namespace, serviceName });
  }

  count(name: MetricName, value = 1): void {
    this.metrics.addMetric(name, MetricUnit.Count, value);
    this.pending += 1;
  }

  milliseconds(name: MetricName, value: number): void {
    this.metrics.addMetric(name, MetricUnit.Milliseconds, value);
    this.pending += 1;
  }

  publish(): void {
    if (this.pending === 0) return;
    this.pending = 0;
    this.metrics.publishStoredMetrics();
  }
}
