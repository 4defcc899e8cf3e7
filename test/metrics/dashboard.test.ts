import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_METRICS_GROUPS, metricNames } from '../../src/metrics/index.js';
import { metricsSettings, mustCreate } from './helpers.js';

interface Target {
  readonly expr?: string;
}
interface Panel {
  readonly title?: string;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}

/** Grafana's variable syntax, not a JS template. */
const PREFIX_VARIABLE = ['$', '{prefix}'].join('');

const dashboard = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../docs/grafana-dashboard.json', import.meta.url)), 'utf8'),
) as { panels: readonly Panel[]; templating: { list: readonly { name: string; query: unknown }[] } };

function exprs(panels: readonly Panel[]): { title: string; expr: string }[] {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).map((t) => ({ title: p.title ?? '', expr: t.expr ?? '' })),
    ...exprs(p.panels ?? []),
  ]);
}

// Every group on, and the event stream (whose series exist only when it is enabled).
const metrics = mustCreate(
  metricsSettings({
    API_PREFIX: '/api',
    METRICS_GROUPS: [...ALL_METRICS_GROUPS],
    EVENT_STREAM_ENABLED: true,
    INTROSPECTION_URL: 'http://auth.test.invalid/private/v1/jti-status',
    PRIVATE_API_SECRET: 'Internal-Secret-0123456789-abcdefXYZ!',
    INTERNAL_CLIENT_ID: 'dashboard-test',
    EVENT_SIGNING_KEY: 'Event-Signing-Key-0123456789-abcdefXYZ!',
  }),
);
afterAll(() => metrics.close());

/** Every series name the registry can expose: families plus histogram suffixes. */
async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const family of await metrics.registry.getMetricsAsJSON()) {
    names.add(family.name);
    if (family.type.toString() === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(family.name + suffix);
    }
  }
  return names;
}

describe('docs/grafana-dashboard.json', () => {
  const all = exprs(dashboard.panels);

  it('uses a prefix variable whose default is the prefix of API_PREFIX=/api', () => {
    const prefix = dashboard.templating.list.find((v) => v.name === 'prefix');
    expect(prefix?.query).toBe('api_');
    expect(all.length).toBeGreaterThan(20);
  });

  it('names only metrics that the registry exports when every group is on', async () => {
    const exposed = await exposedNames();
    for (const { title, expr } of all) {
      // Built-in families carry the prefix; Node process metrics keep their standard unprefixed names.
      const used = [
        ...expr.replaceAll(PREFIX_VARIABLE, 'api_').matchAll(/\b(?:api|process|nodejs)_[a-zA-Z0-9_:]+/g),
      ].map((m) => m[0]);
      expect(used.length, `${title}: ${expr}`).toBeGreaterThan(0);
      for (const name of used) expect(exposed, `${title}: ${name}`).toContain(name);
    }
  });

  it('has a panel for every metric family express-m8 defines', () => {
    const text = all.map((e) => e.expr.replaceAll(PREFIX_VARIABLE, 'api_')).join('\n');
    for (const name of Object.values(metricNames('api_'))) {
      expect(text, name).toMatch(new RegExp(`\\b${name}(_bucket|_sum|_count)?\\b`));
    }
  });
});
