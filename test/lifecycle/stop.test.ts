import type { Agent } from 'node:http';
import { LifecycleError } from 'express-m8';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleOptions } from '../../src/lifecycle/index.js';
import { buildTestApp, get, listenAttached, manualTimers, tryConnect } from './helpers.js';

const agents: Agent[] = [];
afterEach(() => {
  for (const agent of agents.splice(0)) agent.destroy();
});

function teardownRecorder(steps: string[]): LifecycleOptions {
  return {
    auth: { close: () => void steps.push('auth.close') },
    db: { dispose: async () => void steps.push('db.dispose') },
    lifespanExtras: async () => async () => void steps.push('extras exit'),
  };
}

describe('stop()', () => {
  it('runs lifespan extras teardown, auth.close and db.dispose in that order and ends stopped', async () => {
    const steps: string[] = [];
    const { app, lifecycle, lines } = buildTestApp({ options: teardownRecorder(steps) });
    await app.start();
    await app.stop();
    expect(steps).toEqual(['extras exit', 'auth.close', 'db.dispose']);
    expect(lifecycle.state).toBe('stopped');
    expect(app.ready).toBe(false);
    expect(lines.at(-1)?.msg).toBe('app stopped');
  });

  it('is idempotent: a second call returns the same promise and runs no step twice', async () => {
    const steps: string[] = [];
    const { app } = buildTestApp({ options: teardownRecorder(steps) });
    await app.start();
    const first = app.stop();
    expect(app.stop()).toBe(first);
    await first;
    expect(app.stop()).toBe(first);
    await app.stop();
    expect(steps).toEqual(['extras exit', 'auth.close', 'db.dispose']);
  });

  it('works before start(): closes auth and db, never enters the lifespan extras', async () => {
    const steps: string[] = [];
    const { app, lifecycle } = buildTestApp({ options: teardownRecorder(steps) });
    await app.stop();
    expect(steps).toEqual(['auth.close', 'db.dispose']);
    expect(lifecycle.state).toBe('stopped');
  });

  it('runs every teardown step when earlier ones throw, logs each, and rejects listing them', async () => {
    const steps: string[] = [];
    const extrasError = new Error('flush failed');
    const authError = new Error('agent already closed');
    const { app, lifecycle, lines } = buildTestApp({
      options: {
        lifespanExtras: async () => async () => {
          steps.push('extras exit');
          throw extrasError;
        },
        auth: {
          close() {
            steps.push('auth.close');
            throw authError;
          },
        },
        db: { dispose: async () => void steps.push('db.dispose') },
      },
    });
    await app.start();

    const error = await app.stop().catch((e: unknown) => e);

    expect(steps).toEqual(['extras exit', 'auth.close', 'db.dispose']);
    expect(error).toBeInstanceOf(LifecycleError);
    expect(error).toMatchObject({
      code: 'ERR_LIFECYCLE_TEARDOWN',
      message:
        '2 teardown steps failed: lifespanExtras teardown: flush failed; auth.close: agent already closed',
    });
    expect(((error as Error).cause as AggregateError).errors).toEqual([extrasError, authError]);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.obj['step'])).toEqual([
      'lifespanExtras teardown',
      'auth.close',
    ]);
    expect(lifecycle.state).toBe('stopped');
  });

  it('flips readiness to shutting_down before the delay and keeps serving until the delay has passed', async () => {
    const timers = manualTimers();
    const { app, lifecycle } = buildTestApp({ delaySeconds: 5, timeoutSeconds: 30, timers });
    await app.start();
    const { url } = await listenAttached(app, lifecycle);
    expect((await get(url, '/health')).status).toBe(200);

    const stopping = app.stop();

    expect(lifecycle.state).toBe('shutting_down');
    expect(app.ready).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    const delay = timers.pending.find((t) => t.ms === 5000);
    expect(delay).toBeDefined();
    // During the delay the load balancer still reaches us and reads 503.
    const during = await get(url, '/health');
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toEqual({ status: 'shutting_down' });

    delay?.fire();
    await stopping;
    expect(await tryConnect(url)).toBe('ECONNREFUSED');
    expect(lifecycle.state).toBe('stopped');
  });

  it('honours a fractional SHUTDOWN_DELAY_SECONDS in real time', async () => {
    const { app, lifecycle } = buildTestApp({ delaySeconds: 0.3 });
    await app.start();
    const { url } = await listenAttached(app, lifecycle);
    const started = performance.now();
    const stopping = app.stop();
    expect(await tryConnect(url)).toBe('connected');
    await stopping;
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(await tryConnect(url)).toBe('ECONNREFUSED');
  });

  it('unrefs the deadline timer and clears every timer once stopped', async () => {
    const timers = manualTimers();
    const { app } = buildTestApp({ timeoutSeconds: 7, timers });
    await app.start();
    const stopping = app.stop();
    expect(timers.pending).toEqual([expect.objectContaining({ ms: 7000, unrefed: true })]);
    await stopping;
    expect(timers.pending).toEqual([]);
  });

  it('settles with ERR_LIFECYCLE_SHUTDOWN_TIMEOUT when a teardown step hangs past the deadline', async () => {
    const steps: string[] = [];
    const { app, lines } = buildTestApp({
      timeoutSeconds: 0.05,
      teardownGraceMs: 50,
      options: {
        auth: { close: () => new Promise<void>(() => void steps.push('auth.close hangs')) },
        db: { dispose: () => void steps.push('db.dispose') },
      },
    });
    await app.start();
    const started = performance.now();
    await expect(app.stop()).rejects.toMatchObject({
      code: 'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT',
      message:
        'Shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS=0.05; teardown was still running 50 ms later',
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(steps).toEqual(['auth.close hangs']);
    expect(lines.some((l) => l.msg === 'shutdown timeout passed; destroying remaining connections')).toBe(
      true,
    );
  });
});

describe('createLifecycle()', () => {
  it('warns when SHUTDOWN_DELAY_SECONDS leaves no time for in-flight requests', () => {
    const { lines } = buildTestApp({ delaySeconds: 5, timeoutSeconds: 5 });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'SHUTDOWN_DELAY_SECONDS is not below SHUTDOWN_TIMEOUT_SECONDS: in-flight requests get no time to finish',
      }),
    ]);
    expect(buildTestApp({ delaySeconds: 1, timeoutSeconds: 5 }).lines).toEqual([]);
  });
});
