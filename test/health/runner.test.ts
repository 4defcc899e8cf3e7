import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type HealthCheck,
  type HealthCheckResult,
  type HealthPolicy,
  type HealthStatus,
  healthResult,
} from '../../src/health/index.js';
import { manualClock } from '../support/clock.js';
import { deferred, healthApp, listen } from './helpers.js';

const detail = { detailPublic: true } as const;
const withStatus =
  (name: string, status: HealthStatus): HealthCheck =>
  async () => ({ name, status });

afterEach(() => {
  vi.useRealTimers();
});

describe('running checks', () => {
  it('runs checks concurrently and lists them in configuration order', async () => {
    const started: string[] = [];
    const gate = deferred();
    const slow = (name: string): HealthCheck =>
      async function run() {
        started.push(name);
        await gate.promise;
        return healthResult(name, true);
      };
    const { app } = healthApp({ health: { ...detail, checks: [slow('a'), slow('b'), slow('c')] } });
    const pending = request(app)
      .get('/api/health')
      .then((r) => r);
    await vi.waitFor(() => expect(started).toHaveLength(3));
    gate.resolve();
    const res = await pending;
    expect(res.body.checks.map((c: { name: string }) => c.name)).toEqual(['a', 'b', 'c']);
  });

  it('fails a check that outlives timeoutMs with "timeout <n>ms" under its function name', async () => {
    const { app } = healthApp({
      health: {
        ...detail,
        timeoutMs: 30,
        checks: [
          async function hangs() {
            return new Promise<HealthCheckResult>(() => {});
          },
        ],
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.status).toBe(503);
    expect(res.body.checks[0]).toMatchObject({
      name: 'hangs',
      status: 'fail',
      error: 'timeout 30ms',
      ok: false,
    });
  });

  it('ignores a result that arrives after the timeout', async () => {
    const seen: string[] = [];
    const late = deferred();
    const { app } = healthApp({
      clock: manualClock(1_000).now,
      observer: { onCheck: (name, status) => seen.push(`${name}:${status}`) },
      health: {
        ...detail,
        timeoutMs: 30,
        checks: [
          async function slowpoke() {
            await late.promise;
            return healthResult('slowpoke', true);
          },
        ],
      },
    });
    const first = await request(app).get('/api/health');
    expect(first.body.checks[0]).toMatchObject({ status: 'fail', error: 'timeout 30ms' });
    late.resolve();
    await new Promise((r) => setImmediate(r));
    const again = await request(app).get('/api/health');
    expect(again.text).toBe(first.text);
    expect(seen).toEqual(['slowpoke:fail']);
  });

  it('ignores a result that arrives after the timeout when nothing is cached (cacheTtlMs: 0)', async () => {
    const seen: string[] = [];
    const late = deferred();
    let calls = 0;
    const { app } = healthApp({
      clock: manualClock(1_000).now,
      observer: { onCheck: (name, status) => seen.push(`${name}:${status}`) },
      health: {
        ...detail,
        timeoutMs: 30,
        cacheTtlMs: 0,
        checks: [
          async function slowpoke() {
            calls++;
            if (calls === 1) {
              await late.promise;
              return healthResult('slowpoke', true, { call: 1 });
            }
            return { name: 'slowpoke', status: 'degraded', meta: { call: calls } };
          },
        ],
      },
    });
    const first = await request(app).get('/api/health');
    expect(first.status).toBe(503);
    expect(first.body.checks[0]).toMatchObject({ status: 'fail', error: 'timeout 30ms', meta: null });
    late.resolve();
    await new Promise((r) => setImmediate(r));
    // The late `ok` of the first call neither reaches the observer nor answers the next request: that one is
    // a fresh run with the second call's own result.
    expect(seen).toEqual(['slowpoke:fail']);
    const again = await request(app).get('/api/health');
    expect(calls).toBe(2);
    expect(again.status).toBe(200);
    expect(again.body.checks[0]).toMatchObject({ status: 'degraded', error: null, meta: { call: 2 } });
    expect(seen).toEqual(['slowpoke:fail', 'slowpoke:degraded']);
  });

  it('clears the per-check timer when the check settles in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { app } = healthApp({
      health: { timeoutMs: 60_000, cacheTtlMs: 0, checks: [async () => healthResult('db', true)] },
    });
    const res = await request(app).get('/api/health');
    expect(res.status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports a throwing named check as fail with its message under the function name', async () => {
    const { app } = healthApp({
      health: {
        ...detail,
        checks: [
          async function redis() {
            throw new Error('connection refused');
          },
        ],
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.body.checks[0]).toMatchObject({
      name: 'redis',
      status: 'fail',
      error: 'connection refused',
      meta: null,
    });
  });

  it('names an anonymous throwing check check-<index>', async () => {
    const { app } = healthApp({
      health: {
        ...detail,
        checks: [
          async () => healthResult('db', true),
          () => Promise.reject(new Error('boom')),
          (() => {
            throw new TypeError('sync boom');
          }) as unknown as HealthCheck,
        ],
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.body.checks.map((c: { name: string; error: string | null }) => [c.name, c.error])).toEqual([
      ['db', null],
      ['check-1', 'boom'],
      ['check-2', 'sync boom'],
    ]);
  });

  it('reports a non-Error throw without crashing', async () => {
    const { app } = healthApp({
      health: {
        ...detail,
        checks: [() => Promise.reject({ code: 42 }), () => Promise.reject('plain string')],
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.body.checks[0].error).toBe('non-error value thrown (object)');
    expect(res.body.checks[1].error).toBe('plain string');
  });

  it('fails a check that returns a bad shape, with a clear error', async () => {
    const bad = [
      undefined,
      null,
      'ok',
      [],
      { name: '', status: 'ok' },
      { name: 'x', status: 'fine' },
      { name: 'x', status: 'ok', meta: [1] },
    ];
    const { app } = healthApp({
      health: { ...detail, checks: bad.map((v) => (async () => v) as unknown as HealthCheck) },
    });
    const res = await request(app).get('/api/health');
    expect(res.status).toBe(503);
    const errors = res.body.checks.map((c: { error: string }) => c.error);
    for (const [i, c] of res.body.checks.entries()) {
      expect(c).toMatchObject({ name: `check-${i}`, status: 'fail', ok: false });
      expect(c.error).toMatch(
        /^invalid check result: expected \{ name: non-empty string, status: ok\|degraded\|fail\|unknown/,
      );
    }
    expect(errors[0]).toMatch(/got undefined$/);
    expect(errors[1]).toMatch(/got null$/);
    expect(errors[2]).toMatch(/got string$/);
    expect(errors[3]).toMatch(/got an array$/);
    expect(errors[4]).toMatch(/got name ""$/);
    expect(errors[5]).toMatch(/got status "fine"$/);
    expect(errors[6]).toMatch(/got meta an array$/);
  });

  it('measures latency_ms with the injected clock, rounded to one decimal', async () => {
    const time = manualClock(5_000);
    const { app } = healthApp({
      clock: time.now,
      health: {
        ...detail,
        checks: [
          async () => {
            time.advance(12.345);
            return healthResult('db', true);
          },
        ],
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.body.checks[0].latency_ms).toBe(12.3);
  });

  it('tells the observer each check name, status and duration in seconds', async () => {
    const time = manualClock(1_000);
    const calls: [string, string, number][] = [];
    const { app } = healthApp({
      clock: time.now,
      observer: { onCheck: (name, status, seconds) => calls.push([name, status, seconds]) },
      health: {
        checks: [
          async () => {
            time.advance(250);
            return healthResult('db', true);
          },
          withStatus('queue', 'degraded'),
        ],
      },
    });
    await request(app).get('/api/health');
    expect(calls).toEqual([
      ['db', 'ok', 0.25],
      ['queue', 'degraded', 0],
    ]);
  });

  it('still answers when the observer throws', async () => {
    const { app } = healthApp({
      observer: {
        onCheck: () => {
          throw new Error('metrics down');
        },
      },
      health: { checks: [async () => healthResult('db', true)] },
    });
    const res = await request(app).get('/api/health');
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"status":"ok"}');
  });

  it('sets ok to true only for a check whose status is ok (degraded is not ok)', async () => {
    const statuses: HealthStatus[] = ['ok', 'degraded', 'fail', 'unknown'];
    const { app } = healthApp({ health: { ...detail, checks: statuses.map((s) => withStatus(s, s)) } });
    const res = await request(app).get('/api/health');
    expect(res.body.checks.map((c: { ok: boolean }) => c.ok)).toEqual([true, false, false, false]);
  });
});

describe('aggregation', () => {
  const table: [HealthStatus[], HealthStatus, HealthStatus][] = [
    // statuses, lenient aggregate, strict aggregate
    [[], 'ok', 'ok'],
    [['ok'], 'ok', 'ok'],
    [['ok', 'ok'], 'ok', 'ok'],
    [['ok', 'degraded'], 'degraded', 'degraded'],
    [['ok', 'unknown'], 'unknown', 'fail'],
    [['unknown'], 'unknown', 'fail'],
    [['degraded', 'unknown'], 'unknown', 'fail'],
    [['unknown', 'degraded'], 'unknown', 'fail'],
    [['unknown', 'ok', 'degraded'], 'unknown', 'fail'],
    [['ok', 'fail'], 'fail', 'fail'],
    [['degraded', 'fail'], 'fail', 'fail'],
    [['unknown', 'fail'], 'fail', 'fail'],
    [['fail', 'unknown'], 'fail', 'fail'],
    [['degraded', 'degraded'], 'degraded', 'degraded'],
  ];
  for (const [statuses, lenient, strict] of table) {
    for (const [policy, expected] of [
      ['lenient', lenient],
      ['strict', strict],
    ] as [HealthPolicy, HealthStatus][]) {
      it(`aggregates [${statuses.join(', ')}] to ${expected} under ${policy}`, async () => {
        const { app } = healthApp({
          health: { policy, detailPublic: true, checks: statuses.map((s, i) => withStatus(`c${i}`, s)) },
        });
        const res = await request(app).get('/api/health');
        expect(res.body.status).toBe(expected);
        expect(res.status).toBe(expected === 'fail' ? 503 : 200);
        // each check keeps its own status: `unknown` is shown as `unknown` whatever the policy
        expect(res.body.checks.map((c: { status: string }) => c.status)).toEqual(statuses);
        const pub = await request(app).get('/api/health/ready');
        expect(pub.text).toBe(JSON.stringify({ status: expected }));
      });
    }
  }
});

describe('caching and single flight', () => {
  /** A check that counts calls and waits for `gate` before answering. */
  function countingCheck() {
    const state = { calls: 0, gate: deferred() };
    const check: HealthCheck = async function counted() {
      state.calls++;
      await state.gate.promise;
      return healthResult('counted', true, { call: state.calls });
    };
    return { state, check };
  }

  /** Fires `n` concurrent requests and releases the gate once every handler has asked for a run. */
  async function burst(cacheTtlMs: number, n = 10) {
    const time = manualClock(1_000);
    const { state, check } = countingCheck();
    let arrivals = 0;
    const { app } = healthApp({
      clock: time.now,
      health: {
        cacheTtlMs,
        checks: [check],
        // Synchronous and false: the handler asks the runner right after this returns.
        detailAuthorizer: () => {
          arrivals++;
          if (arrivals === n) setImmediate(() => state.gate.resolve());
          return false;
        },
      },
    });
    const srv = await listen(app);
    const responses = await Promise.all(Array.from({ length: n }, () => request(srv.url).get('/api/health')));
    return { time, state, app, srv, responses };
  }

  it('shares one run among 10 concurrent requests', async () => {
    const { state, srv, responses } = await burst(2000);
    try {
      expect(state.calls).toBe(1);
      for (const r of responses) expect(r.text).toBe('{"status":"ok"}');
    } finally {
      await srv.close();
    }
  });

  it('reuses a finished run until it is cacheTtlMs old, then runs again', async () => {
    const { time, state, srv } = await burst(2000);
    try {
      const url = srv.url;
      await request(url).get('/api/health');
      time.advance(1999);
      await request(url).get('/api/health/ready');
      expect(state.calls).toBe(1);
      time.advance(1);
      await request(url).get('/api/health');
      expect(state.calls).toBe(2);
      await request(url).get('/api/health');
      expect(state.calls).toBe(2);
    } finally {
      await srv.close();
    }
  });

  it('shares a run in flight but never reuses a finished one when cacheTtlMs is 0', async () => {
    const { state, srv, responses } = await burst(0);
    try {
      expect(state.calls).toBe(1);
      expect(responses).toHaveLength(10);
      await request(srv.url).get('/api/health');
      expect(state.calls).toBe(2);
      await request(srv.url).get('/api/health/ready');
      expect(state.calls).toBe(3);
    } finally {
      await srv.close();
    }
  });

  it('shows the cached detail to authorised callers and the cached status to public ones', async () => {
    const time = manualClock(1_000);
    let calls = 0;
    const { app } = healthApp({
      clock: time.now,
      credential: 'c'.repeat(40),
      health: {
        checks: [
          async () => {
            calls++;
            return healthResult('db', true, { call: calls });
          },
        ],
      },
    });
    const a = await request(app).get('/api/health').set('X-Internal-Token', 'c'.repeat(40));
    const b = await request(app).get('/api/health');
    const c = await request(app).get('/api/health').set('X-Internal-Token', 'c'.repeat(40));
    expect(calls).toBe(1);
    expect(a.text).toBe(c.text);
    expect(a.body.checks[0].meta).toEqual({ call: 1 });
    expect(b.text).toBe('{"status":"ok"}');
  });
});
