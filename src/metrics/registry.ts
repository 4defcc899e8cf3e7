import { Registry } from 'prom-client';
import type { FastText } from './series.js';

type FormatOne = (this: Registry, metric: unknown) => Promise<string>;

/** prom-client's own per-metric formatter (not in its typings). */
const formatWithPromClient = (Registry.prototype as unknown as { getMetricsAsString: FormatOne })
  .getMetricsAsString;

function isFastText(metric: unknown): metric is FastText {
  return typeof (metric as Partial<FastText>).toPrometheusText === 'function';
}

/**
 * A prom-client registry that lets our HTTP series format their own text (line prefixes made once per
 * series) and formats every other metric as prom-client does. With default labels set, everything goes
 * through prom-client, which merges them.
 */
export class M8Registry extends Registry {
  private hasDefaultLabels = false;

  override setDefaultLabels(labels: object): void {
    this.hasDefaultLabels = Object.keys(labels).length > 0;
    super.setDefaultLabels(labels);
  }

  override clear(): void {
    this.hasDefaultLabels = false;
    super.clear();
  }

  /** Called by `metrics()` for each registered metric. */
  async getMetricsAsString(metric: unknown): Promise<string> {
    if (!this.hasDefaultLabels && isFastText(metric)) return metric.toPrometheusText();
    return formatWithPromClient.call(this, metric);
  }
}
