import express, { type Express } from 'express';
import { testSettings } from 'express-m8/testing';
import { createMetrics, type M8Metrics } from '../../src/metrics/index.js';

/** Settings with metrics on; overrides are env-style values. */
export function metricsSettings(
  overrides: Record<string, string | number | boolean | readonly string[]> = {},
) {
  return testSettings({ METRICS_ENABLED: true, ...overrides });
}

/** An express app with the metrics middleware first and `/metrics` mounted at the root. */
export function appWithMetrics(metrics: M8Metrics): Express {
  const app = express();
  app.use(metrics.middleware);
  app.get('/metrics', metrics.handler);
  return app;
}

/** Creates metrics and fails the test when metrics are disabled. */
export function mustCreate(settings: Parameters<typeof createMetrics>[0]): M8Metrics {
  const metrics = createMetrics(settings);
  if (metrics === undefined) throw new Error('metrics unexpectedly disabled');
  return metrics;
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text into samples (enough for our own output: no escaped quotes in label values). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_m, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (a subset match), or undefined. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Every distinct value of one label among samples of a metric. */
export function labelValues(samples: readonly Sample[], name: string, label: string): Set<string> {
  return new Set(samples.filter((s) => s.name === name).map((s) => s.labels[label] as string));
}
