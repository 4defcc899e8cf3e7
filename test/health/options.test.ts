import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/errors.js';
import {
  createHealthRoutes,
  type HealthOptions,
  HealthPolicy,
  HealthStatus,
  healthResult,
} from '../../src/health/index.js';
import { createLogSink } from '../support/log-sink.js';
import { healthApp } from './helpers.js';

function routes(health: unknown) {
  return () =>
    createHealthRoutes({
      health: health as HealthOptions,
      credential: undefined,
      service: 's',
      version: null,
      getState: () => 'ready',
    });
}

describe('public constants and helpers', () => {
  it('exposes frozen HealthStatus and HealthPolicy values', () => {
    expect(HealthStatus).toEqual({ OK: 'ok', DEGRADED: 'degraded', FAIL: 'fail', UNKNOWN: 'unknown' });
    expect(HealthPolicy).toEqual({ LENIENT: 'lenient', STRICT: 'strict' });
    expect(Object.isFrozen(HealthStatus)).toBe(true);
    expect(Object.isFrozen(HealthPolicy)).toBe(true);
  });

  it('builds ok and fail results with healthResult', () => {
    expect(healthResult('db', true, { pool: 1 })).toEqual({ name: 'db', status: 'ok', meta: { pool: 1 } });
    expect(healthResult('db', false)).toEqual({ name: 'db', status: 'fail', meta: undefined });
  });
});

describe('option validation', () => {
  it('accepts no options and bounds checks by the default 500 ms timeout', async () => {
    expect(routes(undefined)).not.toThrow();
    const { app } = healthApp({
      health: {
        checks: [
          async function slow() {
            await new Promise((r) => setTimeout(r, 700));
            return healthResult('slow', true);
          },
        ],
        detailAuthorizer: () => true,
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.body.checks[0]).toMatchObject({ name: 'slow', error: 'timeout 500ms' });
  });

  it('reports every bad option at once, by name', () => {
    let caught: unknown;
    try {
      routes({
        checks: [async () => healthResult('a', true), 'nope'],
        timeoutMs: 0,
        cacheTtlMs: -1,
        policy: 'relaxed',
        detailPublic: 'yes',
        detailAuthorizer: 42,
      })();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SettingsError);
    const error = caught as SettingsError;
    expect(error.code).toBe('ERR_SETTINGS_INVALID');
    expect(error.issues.map((i) => i.variable)).toEqual([
      'health.checks[1]',
      'health.timeoutMs',
      'health.cacheTtlMs',
      'health.policy',
      'health.detailPublic',
      'health.detailAuthorizer',
    ]);
    expect(error.message).toContain("health.policy: must be 'lenient' or 'strict' (got \"relaxed\")");
    expect(error.message).toContain('health.timeoutMs: must be an integer from 1 to 2147483647 (got 0)');
  });

  it.each([
    [{ timeoutMs: 1.5 }, 'health.timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'health.timeoutMs'],
    [{ cacheTtlMs: Number.POSITIVE_INFINITY }, 'health.cacheTtlMs'],
    [{ checks: 'x' }, 'health.checks'],
  ])('rejects %j', (health, variable) => {
    expect(routes(health)).toThrowError(variable);
  });
});

describe('logging', () => {
  it('logs a check that goes bad and recovers once per change, scrubbed', async () => {
    const sink = createLogSink({ level: 'info' });
    const { logger } = sink;
    let healthy = false;
    const { app } = healthApp({
      logger,
      health: {
        cacheTtlMs: 0,
        checks: [
          async function db() {
            if (!healthy) throw new Error('postgres://u:hunter2@h/db refused');
            return healthResult('db', true);
          },
        ],
      },
    });
    await request(app).get('/api/health');
    await request(app).get('/api/health');
    healthy = true;
    await request(app).get('/api/health');
    await request(app).get('/api/health');
    expect(sink.lines().map((l) => [l.level, l.check, l.status, l.previous])).toEqual([
      [40, 'db', 'fail', null],
      [30, 'db', 'ok', 'fail'],
    ]);
    expect(sink.lines()[0]?.error).toBe('postgres://***:***@h/db refused');
    expect(JSON.stringify(sink.lines())).not.toContain('hunter2');
  });

  it('logs a throwing detailAuthorizer as a warning without secrets', async () => {
    const sink = createLogSink({ level: 'info' });
    const { logger } = sink;
    const { app } = healthApp({
      logger,
      health: {
        detailAuthorizer: () => {
          throw new Error('lookup failed for Bearer abc.def');
        },
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.text).toBe('{"status":"ok"}');
    expect(sink.lines()).toHaveLength(1);
    expect(sink.lines()[0]).toMatchObject({ level: 40, err: 'lookup failed for Bearer ***' });
  });
});
