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

/** Receives each EMF line an EmfMetrics would have printed (without the newline). */
export type MetricsRecorder = (line: string) => void;

/**
 * Metrics in CloudWatch Embedded Metric Format through Powertools: one JSON line per
 * invocation on stdout, turned into metrics by CloudWatch Logs (no PutMetricData calls).
 * Given `record` (the bench), the same line goes to it instead of stdout.
 */
export class EmfMetrics implements MetricsSink {
  private readonly metrics: Metrics;
  private pending = 0;

  constructor(
    namespace: string,
    serviceName: string,
    private readonly record?: MetricsRecorder,
  ) {
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
    if (!this.record) {
      this.metrics.publishStoredMetrics();
      return;
    }
    // What publishStoredMetrics prints, then clears (no dimension or metadata is ever added per invocation).
    this.record(JSON.stringify(this.metrics.serializeMetrics()));
    this.metrics.clearMetrics();
  }
}
