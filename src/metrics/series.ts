import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Counter and histogram series kept as plain objects the hot path increments directly.
 *
 * prom-client's `labels(...).inc()` hashes and validates the label object on every call (~0.5 µs each);
 * the HTTP metrics cache one series object per label set instead and only do `series.value++`. These
 * subclasses stay real prom-client metrics (registry formatting, `getMetricsAsJSON`, cluster
 * aggregation) and only replace how values are stored and read.
 */

type Labels = Readonly<Record<string, string>>;
type CounterValues = Awaited<ReturnType<Counter<string>['get']>>;
type HistogramValues = Awaited<ReturnType<Histogram<string>['get']>>;

/** One counter series. */
export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

/** One histogram series: non-cumulative bucket counts, cumulated at scrape time. */
export interface HistogramSeries {
  readonly labels: Labels;
  /** One label object per bucket (`le` included) plus the `+Inf` one, made once. */
  readonly bucketLabels: readonly Readonly<Record<string, string | number>>[];
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A counter whose series are plain objects created by {@link SeriesCounter.series}. */
export class SeriesCounter extends Counter<string> {
  private readonly all: CounterSeries[] = [];
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
    super({ name, help, labelNames: [...labelNames], registers: [registry] });
    this.metricName = name;
    this.metricHelp = help;
  }

  /** A new series for one label set; the caller caches it. */
  series(labels: Labels): CounterSeries {
    const created: CounterSeries = { labels, value: 0 };
    this.all.push(created);
    return created;
  }

  override async get(): Promise<CounterValues> {
    const values: CounterValues['values'] = new Array(this.all.length);
    for (let i = 0; i < this.all.length; i++) {
      const s = this.all[i] as CounterSeries;
      values[i] = { labels: s.labels, value: s.value };
    }
    // prom-client's typings declare `type` as a numeric enum; at run time (and in the text format) it is the string.
    const result = {
      name: this.metricName,
      help: this.metricHelp,
      type: 'counter',
      values,
      aggregator: 'sum',
    };
    return result as unknown as CounterValues;
  }
}

/** A histogram whose series are plain objects created by {@link SeriesHistogram.series}. */
export class SeriesHistogram extends Histogram<string> {
  private readonly all: HistogramSeries[] = [];
  private readonly bounds: readonly number[];
  private readonly bucketName: string;
  private readonly sumName: string;
  private readonly countName: string;
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    super({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [registry] });
    this.bounds = buckets;
    this.metricName = name;
    this.metricHelp = help;
    this.bucketName = `${name}_bucket`;
    this.sumName = `${name}_sum`;
    this.countName = `${name}_count`;
  }

  /** A new series for one label set; the caller caches it. */
  series(labels: Labels): HistogramSeries {
    const bucketLabels: Readonly<Record<string, string | number>>[] = this.bounds.map((le) =>
      Object.freeze({ ...labels, le }),
    );
    bucketLabels.push(Object.freeze({ ...labels, le: '+Inf' }));
    const created: HistogramSeries = {
      labels,
      bucketLabels,
      counts: new Float64Array(this.bounds.length),
      sum: 0,
      count: 0,
    };
    this.all.push(created);
    return created;
  }

  /** Records one observation in seconds. */
  observeIn(series: HistogramSeries, seconds: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        series.counts[i] = (series.counts[i] ?? 0) + 1;
        break;
      }
    }
    series.sum += seconds;
    series.count++;
  }

  override async get(): Promise<HistogramValues> {
    const bucketName = this.bucketName;
    const values: HistogramValues['values'] = [];
    for (const s of this.all) {
      let acc = 0;
      for (let i = 0; i < s.counts.length; i++) {
        acc += s.counts[i] as number;
        values.push({ labels: s.bucketLabels[i] as Labels, value: acc, metricName: bucketName });
      }
      values.push({
        labels: s.bucketLabels[s.counts.length] as Labels,
        value: s.count,
        metricName: bucketName,
      });
      values.push({ labels: s.labels, value: s.sum, metricName: this.sumName });
      values.push({ labels: s.labels, value: s.count, metricName: this.countName });
    }
    const result = {
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram',
      values,
      aggregator: 'sum',
    };
    return result as unknown as HistogramValues;
  }

  /** prom-client's registry prefers this over `get()` when formatting text; same data here. */
  async getForPromString(): Promise<HistogramValues> {
    return this.get();
  }
}
