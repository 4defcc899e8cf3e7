import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Counter and histogram series kept as plain objects the hot path increments directly.
 *
 * prom-client's `labels(...).inc()` hashes and validates the label object on every call (~0.5 µs each);
 * the HTTP metrics cache one series object per label set instead and only do `series.value++`. These
 * subclasses stay real prom-client metrics (`getMetricsAsJSON`, cluster aggregation, `get()`), and each
 * series also keeps its exposition line prefixes (`name{labels} `) made once, so a scrape of 200 routes ×
 * 5 statuses is string concatenation instead of prom-client's per-line label formatting (see
 * `M8Registry` in `registry.ts`).
 */

type Labels = Readonly<Record<string, string>>;
type CounterValues = Awaited<ReturnType<Counter<string>['get']>>;
type HistogramValues = Awaited<ReturnType<Histogram<string>['get']>>;

/** One counter series. */
export interface CounterSeries {
  readonly labels: Labels;
  /** `name{a="x",b="y"} `, the exposition line up to the value. */
  readonly line: string;
  value: number;
}

/** One histogram series: non-cumulative bucket counts, cumulated at scrape time. */
export interface HistogramSeries {
  readonly labels: Labels;
  /** One label object per bucket (`le` included) plus the `+Inf` one, made once. */
  readonly bucketLabels: readonly Readonly<Record<string, string | number>>[];
  /** The line prefixes of each bucket, `+Inf`, `_sum` and `_count`, in that order. */
  readonly lines: readonly string[];
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** Prometheus text escaping of a label value (backslash, newline, double quote). */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Readonly<Record<string, string | number>>): string {
  const parts: string[] = [];
  for (const key of Object.keys(labels)) parts.push(`${key}="${escapeLabelValue(String(labels[key]))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** prom-client's number format: `Nan`, `+Inf`, `-Inf`, else the JS string. */
function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}`;
}

/** Implemented by metrics that format their own Prometheus text. */
export interface FastText {
  toPrometheusText(): string;
}

/** A counter whose series are plain objects created by {@link SeriesCounter.series}. */
export class SeriesCounter extends Counter<string> implements FastText {
  private readonly all: CounterSeries[] = [];
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly header: string;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
    super({ name, help, labelNames: [...labelNames], registers: [registry] });
    this.metricName = name;
    this.metricHelp = help;
    this.header = header(name, help, 'counter');
  }

  /** A new series for one label set; the caller caches it. */
  series(labels: Labels): CounterSeries {
    const created: CounterSeries = { labels, line: `${this.metricName}${labelText(labels)} `, value: 0 };
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

  toPrometheusText(): string {
    let text = this.header;
    for (const s of this.all) text += `\n${s.line}${valueText(s.value)}`;
    return text;
  }
}

/** A histogram whose series are plain objects created by {@link SeriesHistogram.series}. */
export class SeriesHistogram extends Histogram<string> implements FastText {
  private readonly all: HistogramSeries[] = [];
  private readonly bounds: readonly number[];
  private readonly bucketName: string;
  private readonly sumName: string;
  private readonly countName: string;
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly header: string;

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
    this.header = header(name, help, 'histogram');
  }

  /** A new series for one label set; the caller caches it. */
  series(labels: Labels): HistogramSeries {
    const bucketLabels: Readonly<Record<string, string | number>>[] = this.bounds.map((le) =>
      Object.freeze({ ...labels, le }),
    );
    bucketLabels.push(Object.freeze({ ...labels, le: '+Inf' }));
    const lines = bucketLabels.map((l) => `${this.bucketName}${labelText(l)} `);
    lines.push(`${this.sumName}${labelText(labels)} `, `${this.countName}${labelText(labels)} `);
    const created: HistogramSeries = {
      labels,
      bucketLabels,
      lines,
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

  toPrometheusText(): string {
    let text = this.header;
    for (const s of this.all) {
      const lines = s.lines;
      const n = s.counts.length;
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += s.counts[i] as number;
        text += `\n${lines[i]}${acc}`;
      }
      text += `\n${lines[n]}${s.count}\n${lines[n + 1]}${valueText(s.sum)}\n${lines[n + 2]}${s.count}`;
    }
    return text;
  }
}
