/**
 * Keeps the deployment examples honest without a YAML parser: the manifest and Dockerfile are read as text
 * (comment lines removed, so a commented-out alternative never counts) and their numbers, paths and
 * variable names are checked against the library.
 */
import { readFileSync } from 'node:fs';
import { loadSettings } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { describe, expect, it } from 'vitest';

const read = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
const withoutComments = (text: string) =>
  text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');

const manifestText = read('./kubernetes.yaml');
const manifest = withoutComments(manifestText);
const dockerfile = withoutComments(read('./Dockerfile'));
const documents = manifest.split(/^---$/m);

function documentOf(kind: string): string {
  const found = documents.find((doc) => new RegExp(`^kind: ${kind}$`, 'm').test(doc));
  if (found === undefined) throw new Error(`kubernetes.yaml has no ${kind}`);
  return found;
}

const deployment = documentOf('Deployment');
const configMap: Record<string, string> = Object.fromEntries(
  [...documentOf('ConfigMap').matchAll(/^ {2}([A-Z][A-Z0-9_]*): "([^"]*)"$/gm)].map((m) => [m[1], m[2]]),
);
/** Each container (init containers included) by name, as text. */
const containers: Record<string, string> = Object.fromEntries(
  [...deployment.matchAll(/^ {8}- name: ([a-z][a-z0-9-]*)\n((?: {10}.*\n|\n)+)/gm)]
    .filter((m) => /^ {10}image: /m.test(m[2]!)) // volumes are list items at the same depth
    .map((m) => [m[1], m[2]]),
);
/** The `env` entries of a container: [name, value]. */
const envOf = (container: string): Array<[string, string]> =>
  [...container.matchAll(/- name: ([A-Z][A-Z0-9_]*)\n\s+value: "?([^"\n]*)"?/g)].map((m) => [m[1]!, m[2]!]);
const envEntries = Object.values(containers).flatMap(envOf);

/** The section of the app container named `key` (up to the next key at the same indentation). */
function section(key: string): string {
  const match = new RegExp(`^( +)${key}:\\n((?:\\1 .*\\n)+)`, 'm').exec(deployment);
  if (match === null) throw new Error(`kubernetes.yaml has no ${key}`);
  return match[2]!;
}

function number(text: string, key: string): number {
  const match = new RegExp(`\\b${key}: (\\d+)\\b`).exec(text);
  if (match === null) throw new Error(`no ${key} in ${text}`);
  return Number(match[1]);
}

const delay = Number(configMap.SHUTDOWN_DELAY_SECONDS);
const timeout = Number(configMap.SHUTDOWN_TIMEOUT_SECONDS);
const preStopMatch = /preStop:\n(?:\s+.*\n)*?\s+seconds: (\d+)/.exec(deployment);
const preStop = preStopMatch === null ? 0 : Number(preStopMatch[1]);

describe('the Kubernetes example', () => {
  it('probes readiness, liveness and startup on the express-m8 health paths', () => {
    expect(section('readinessProbe')).toMatch(/path: \/api\/health\/ready\n/);
    expect(section('livenessProbe')).toMatch(/path: \/api\/health\/live\n/);
    expect(section('startupProbe')).toMatch(/path: \/api\/health\/ready\n/);
    expect(configMap.API_PREFIX).toBe('/api');
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      expect(section(probe), probe).toMatch(/port: http\n/);
    }
    expect(deployment).toMatch(/- name: http\n\s+containerPort: 8000\n/);
  });

  it('gives the kubelet more grace than preStop, the shutdown delay and the shutdown deadline together', () => {
    expect(Number.isInteger(delay) && Number.isInteger(timeout)).toBe(true);
    expect(delay).toBeGreaterThan(0);
    // createApp warns when the delay eats the whole deadline: in-flight requests would get no time.
    expect(delay).toBeLessThan(timeout);
    const grace = number(deployment, 'terminationGracePeriodSeconds');
    // stop() settles within SHUTDOWN_TIMEOUT_SECONDS + 1 s; the docs ask for more than the sum.
    expect(grace).toBeGreaterThan(preStop + delay + timeout);
    expect(grace).toBeGreaterThanOrEqual(preStop + timeout + 1 + 5);
    // The comment's arithmetic states the same numbers.
    expect(manifestText).toContain(
      `terminationGracePeriodSeconds (${grace}) > preStop sleep (${preStop}: none) + SHUTDOWN_DELAY_SECONDS (${delay})`,
    );
  });

  it('marks the pod unready within the shutdown delay', () => {
    const readiness = section('readinessProbe');
    const notice = number(readiness, 'periodSeconds') * number(readiness, 'failureThreshold');
    expect(notice).toBeLessThanOrEqual(delay);
  });

  it('uses only variables express-m8 knows, secrets through *_FILE under the secret mount', () => {
    const known = new Set(Object.keys(testSettings()));
    const names = [...Object.keys(configMap), ...envEntries.map(([name]) => name)];
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(known, name).toContain(name.replace(/_FILE$/, ''));
    for (const [name, value] of envEntries) {
      if (name.endsWith('_FILE')) expect(value, name).toMatch(/^\/run\/secrets\/items-service\/[a-z-]+$/);
    }
    for (const secret of ['DB_PASSWORD', 'PRIVATE_API_SECRET', 'HEALTH_DETAIL_CREDENTIAL']) {
      expect(names, `${secret} must come from a file`).not.toContain(secret);
    }
    expect(deployment).toMatch(/mountPath: \/run\/secrets\/items-service\n\s+readOnly: true/);
  });

  it('gives every container, the prestart init container too, settings that pass loadSettings in production', () => {
    expect(Object.keys(containers).sort()).toEqual(['api', 'wait-for-database']);
    for (const [name, container] of Object.entries(containers)) {
      expect(container, name).toMatch(/configMapRef:\n\s+name: items-service-env\n/);
      const env: Record<string, string> = { ...configMap };
      // The files' contents, as the secret would provide them.
      for (const [variable] of envOf(container)) {
        if (variable.endsWith('_FILE')) {
          env[variable.replace(/_FILE$/, '')] = `example-${variable.toLowerCase()}-Value-9!`;
        }
      }
      const settings = loadSettings({ env, envFile: false });
      expect(settings.ENVIRONMENT, name).toBe('production');
      expect(settings.SHUTDOWN_DELAY_SECONDS, name).toBe(delay);
      expect(settings.SHUTDOWN_TIMEOUT_SECONDS, name).toBe(timeout);
    }
  });

  it('protects /metrics with a scrape credential whenever metrics are on, and says the probes and /metrics skip the host check', () => {
    expect(configMap.METRICS_ENABLED).toBe('true');
    for (const [name, container] of Object.entries(containers)) {
      const variables = envOf(container).map(([variable]) => variable);
      expect(variables, name).toEqual(
        expect.arrayContaining([expect.stringMatching(/^METRICS_SCRAPE_CREDENTIAL(?:_FILE)?$/)]),
      );
      const env: Record<string, string> = { ...configMap };
      for (const variable of variables) {
        if (variable.endsWith('_FILE')) env[variable.replace(/_FILE$/, '')] = `example-${variable}-Value-9!`;
      }
      const settings = loadSettings({ env, envFile: false });
      expect(settings.METRICS_ENABLED, name).toBe(true);
      expect(settings.METRICS_SCRAPE_CREDENTIAL, name).toBeDefined();
    }
    expect(configMap.ALLOWED_HOSTS).not.toBe('');
    // Prometheus scrapes by pod IP: the manifest must say /metrics is exempt, next to ALLOWED_HOSTS.
    const comment = /((?:^ {2}#.*\n)+) {2}ALLOWED_HOSTS:/m.exec(manifestText)?.[1] ?? '';
    expect(comment).toContain('/metrics');
    expect(comment).toContain('/api/health/ready');
    expect(comment).toContain('exempt from the host check');
  });

  it('runs non-root on a read-only root filesystem, waiting for the database first', () => {
    expect(deployment).toMatch(/runAsNonRoot: true/);
    expect(deployment.match(/readOnlyRootFilesystem: true/g)?.length).toBe(2);
    expect(deployment.match(/allowPrivilegeEscalation: false/g)?.length).toBe(2);
    expect(deployment).toMatch(/command: \["\/app\/node_modules\/\.bin\/express-m8-prestart"\]/);
    expect(deployment).toMatch(/command: \["node", "dist\/main\.js"\]/);
    expect(section('resources')).toMatch(/memory: \d+Mi/);
  });
});

describe('the Dockerfile example', () => {
  it('builds in stages from node:22-slim and installs production dependencies only', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-slim$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('runs as a numeric non-root user, prestart first, then node directly', () => {
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(dockerfile);
    expect(user).not.toBeNull();
    expect(Number(user![1])).toBeGreaterThan(0);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/node_modules\/\.bin\/express-m8-prestart", "--"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8000$/m);
    expect(dockerfile).not.toMatch(/npm start|npx /);
  });
});
