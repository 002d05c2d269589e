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

/**
 * Powertools prints a metric's values on its own once they reach 100, straight to stdout: with a
 * recorder, EmfMetrics writes them to it before that (at 99).
 */
const POWERTOOLS_VALUES_PER_LINE = 100;

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
  /** Values stored per metric name in each Powertools instance since it last printed (kept only with a recorder). */
  private readonly stored = new Map<Metrics, Map<string, number>>();
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
      this.recordLine(metrics);
    }
  }

  private add(name: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, type: string | undefined): void {
    this.store(this.metrics, name, unit, value);
    if (type) this.store(this.typed(type), name, unit, value);
    this.pending += 1;
  }

  /** Adds one value; with a recorder, first records the line Powertools would otherwise print by itself with this value. */
  private store(metrics: Metrics, name: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void {
    if (this.record) {
      const counts = this.stored.get(metrics) ?? new Map<string, number>();
      this.stored.set(metrics, counts);
      if ((counts.get(name) ?? 0) + 1 >= POWERTOOLS_VALUES_PER_LINE) this.recordLine(metrics);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    metrics.addMetric(name, unit, value);
  }

  /** What publishStoredMetrics prints, handed to the recorder, then cleared (no dimension or metadata is ever added per invocation). */
  private recordLine(metrics: Metrics): void {
    this.record?.(JSON.stringify(metrics.serializeMetrics()));
    metrics.clearMetrics();
    this.stored.get(metrics)?.clear();
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
