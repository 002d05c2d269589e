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
  TasksCancelled: 'TasksCancelled',
  /** Stuck tasks whose awaited message the reconciler re-sent. */
  TasksReconciled: 'TasksReconciled',
  /** Milliseconds from submit (createdAt) to SUCCEEDED or FAILED. */
  EndToEndTime: 'EndToEndTime',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Where use cases record metrics; no AWS types leak into the domain. */
export interface MetricsSink {
  /** `type`: the task type, a second dimension beside the service (the plain metric is recorded too). */
  count(name: MetricName, value?: number, type?: string): void;
  milliseconds(name: MetricName, value: number, type?: string): void;
  /** Writes what was recorded during this invocation; handlers call it once at the end. */
  publish(): void;
}

/** A sink that drops everything (tools and tests that do not look at metrics). */
export const noMetrics: MetricsSink = { count: () => undefined, milliseconds: () => undefined, publish: () => undefined };

/** Receives each EMF line an EmfMetrics would have printed (without the newline). */
export type MetricsRecorder = (line: string) => void;

/**
 * Metrics in CloudWatch Embedded Metric Format through Powertools: one JSON line per
 * invocation on stdout (plus one per task type seen), turned into metrics by CloudWatch Logs
 * (no PutMetricData calls). A metric with a type is recorded twice: under `service` (what the
 * alarms watch) and under `service, type` (the dashboard's per-type view). Given `record` (the
 * bench), the same lines go to it instead of stdout.
 */
export class EmfMetrics implements MetricsSink {
  private readonly metrics: Metrics;
  private readonly byType = new Map<string, Metrics>();
  private pending = 0;

  constructor(
    private readonly namespace: string,
    private readonly serviceName: string,
    private readonly record?: MetricsRecorder,
  ) {
    this.metrics = new Metrics({ namespace, serviceName });
  }

  count(name: MetricName, value = 1, type?: string): void {
    this.add(name, MetricUnit.Count, value, type);
  }

  milliseconds(name: MetricName, value: number, type?: string): void {
    this.add(name, MetricUnit.Milliseconds, value, type);
  }

  publish(): void {
    if (this.pending === 0) return;
    this.pending = 0;
    for (const metrics of [this.metrics, ...this.byType.values()]) {
      if (!metrics.hasStoredMetrics()) continue;
      if (!this.record) {
        metrics.publishStoredMetrics();
        continue;
      }
      // What publishStoredMetrics prints, then clears (no dimension or metadata is ever added per invocation).
      this.record(JSON.stringify(metrics.serializeMetrics()));
      metrics.clearMetrics();
    }
  }

  private add(name: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, type: string | undefined): void {
    this.metrics.addMetric(name, unit, value);
    if (type) this.typed(type).addMetric(name, unit, value);
    this.pending += 1;
  }

  private typed(type: string): Metrics {
    let metrics = this.byType.get(type);
    if (!metrics) {
      metrics = new Metrics({ namespace: this.namespace, serviceName: this.serviceName, defaultDimensions: { type } });
      this.byType.set(type, metrics);
    }
    return metrics;
  }
}
