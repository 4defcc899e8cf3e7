import { CompatError, LifecycleError } from 'express-m8';
import { describe, expect, it } from 'vitest';
import type { LifecycleOptions, M8App } from '../../src/lifecycle/index.js';
import { buildTestApp } from './helpers.js';

/** Options whose every step records its name (and the readiness seen at that moment) into `steps`. */
function recordingOptions(steps: string[], overrides: Partial<LifecycleOptions> = {}): LifecycleOptions {
  return {
    auth: {
      async start() {
        steps.push('auth.start');
      },
      close() {
        steps.push('auth.close');
      },
    },
    db: {
      dispose() {
        steps.push('db.dispose');
      },
    },
    startupValidators: [
      function first() {
        steps.push('validator 1');
      },
      async function second() {
        steps.push('validator 2');
      },
    ],
    lifespanExtras: async () => {
      steps.push('extras enter');
      return async () => {
        steps.push('extras exit');
      };
    },
    ...overrides,
  };
}

describe('start()', () => {
  it('runs compat check, config warnings, validators in order, JWKS prefetch, lifespan extras, then becomes ready', async () => {
    const steps: string[] = [];
    const { app, lifecycle } = buildTestApp({
      options: recordingOptions(steps),
      compatCheck: () => steps.push('compat'),
      warnings: () => steps.push('warnings'),
    });
    expect(lifecycle.state).toBe('initializing');
    expect(app.ready).toBe(false);

    await app.start();

    expect(steps).toEqual(['compat', 'warnings', 'validator 1', 'validator 2', 'auth.start', 'extras enter']);
    expect(lifecycle.state).toBe('ready');
    expect(app.ready).toBe(true);
    await app.stop();
  });

  it('passes the app itself to validators and lifespan extras', async () => {
    const seen: M8App[] = [];
    const { app } = buildTestApp({
      options: {
        startupValidators: [(received) => void seen.push(received)],
        lifespanExtras: async (received) => void seen.push(received),
      },
    });
    await app.start();
    expect(seen).toEqual([app, app]);
    await app.stop();
  });

  it('aborts when a validator throws: readiness stays false, what was opened is closed, the cause is kept', async () => {
    const steps: string[] = [];
    const boom = new Error('table items is missing');
    const { app, lifecycle, lines } = buildTestApp({
      options: recordingOptions(steps, {
        startupValidators: [
          () => void steps.push('validator 1'),
          function checkTables() {
            throw boom;
          },
          () => void steps.push('validator 3'),
        ],
      }),
    });

    const error = await app.start().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LifecycleError);
    expect(error).toMatchObject({ code: 'ERR_LIFECYCLE_STARTUP', cause: boom });
    expect((error as Error).message).toBe(
      'Startup failed at startupValidators[1] (checkTables): table items is missing',
    );
    expect(steps).toEqual(['validator 1', 'auth.close', 'db.dispose']);
    expect(app.ready).toBe(false);
    expect(lifecycle.state).toBe('initializing');
    expect(lines.some((l) => l.level === 'error' && l.msg.startsWith('startup failed'))).toBe(true);
  });

  it('closes auth and db when lifespan extras fail after the prefetch', async () => {
    const steps: string[] = [];
    const { app } = buildTestApp({
      options: recordingOptions(steps, {
        lifespanExtras: async () => {
          throw new Error('cache warm-up failed');
        },
      }),
    });
    await expect(app.start()).rejects.toMatchObject({
      code: 'ERR_LIFECYCLE_STARTUP',
      message: 'Startup failed at lifespanExtras: cache warm-up failed',
    });
    expect(steps).toEqual(['validator 1', 'validator 2', 'auth.start', 'auth.close', 'db.dispose']);
    expect(app.ready).toBe(false);
  });

  it('wraps a failing compat check as ERR_LIFECYCLE_STARTUP and runs no later step', async () => {
    const steps: string[] = [];
    const compat = new CompatError('ERR_COMPAT_NODE', 'Node 18 is not supported');
    const { app } = buildTestApp({
      options: recordingOptions(steps),
      compatCheck: () => {
        throw compat;
      },
      warnings: () => steps.push('warnings'),
    });
    await expect(app.start()).rejects.toMatchObject({ code: 'ERR_LIFECYCLE_STARTUP', cause: compat });
    expect(steps).toEqual(['auth.close', 'db.dispose']);
  });

  it('can be retried after a failure and then becomes ready', async () => {
    let attempts = 0;
    const { app } = buildTestApp({
      options: {
        startupValidators: [
          () => {
            attempts += 1;
            if (attempts === 1) throw new Error('not yet');
          },
        ],
      },
    });
    await expect(app.start()).rejects.toMatchObject({ code: 'ERR_LIFECYCLE_STARTUP' });
    await app.start();
    expect(attempts).toBe(2);
    expect(app.ready).toBe(true);
    await app.stop();
  });

  it('only warns when the JWKS prefetch fails, and still becomes ready', async () => {
    const steps: string[] = [];
    const { app, lines } = buildTestApp({
      options: recordingOptions(steps, {
        auth: {
          start: async () => {
            throw new Error('connect ECONNREFUSED 127.0.0.1:1');
          },
          close: () => void steps.push('auth.close'),
        },
      }),
    });
    await app.start();
    expect(app.ready).toBe(true);
    expect(steps).toEqual(['validator 1', 'validator 2', 'extras enter']);
    const warning = lines.find((l) => l.level === 'warn');
    expect(warning?.msg).toBe('JWKS prefetch failed; signing keys will be fetched on demand');
    expect(warning?.obj['err']).toMatchObject({ message: 'connect ECONNREFUSED 127.0.0.1:1' });
    await app.stop();
  });

  it('is idempotent: concurrent and later calls share the first promise and run each step once', async () => {
    const steps: string[] = [];
    const { app } = buildTestApp({ options: recordingOptions(steps) });
    const first = app.start();
    const second = app.start();
    expect(second).toBe(first);
    await first;
    expect(app.start()).toBe(first);
    await app.start();
    expect(steps).toEqual(['validator 1', 'validator 2', 'auth.start', 'extras enter']);
    await app.stop();
  });

  it('rejects after stop() and never becomes ready', async () => {
    const { app, lifecycle } = buildTestApp();
    await app.stop();
    await expect(app.start()).rejects.toMatchObject({
      code: 'ERR_LIFECYCLE_STARTUP',
      message: 'start() was called after stop() (state: stopped)',
    });
    expect(lifecycle.state).toBe('stopped');
  });

  it('rejects a start() after a successful start and stop, so serve() cannot revive a stopped app', async () => {
    const { app, lifecycle } = buildTestApp();
    await app.start();
    await app.stop();
    await expect(app.start()).rejects.toMatchObject({ code: 'ERR_LIFECYCLE_STARTUP' });
    expect(lifecycle.state).toBe('stopped');
    expect(app.ready).toBe(false);
  });

  it('does not become ready when stop() is called while start() runs, and stop tears down what start opened', async () => {
    const steps: string[] = [];
    let releaseValidator: () => void = () => {};
    const { app, lifecycle } = buildTestApp({
      options: recordingOptions(steps, {
        startupValidators: [() => new Promise<void>((resolve) => (releaseValidator = resolve))],
      }),
    });
    const starting = app.start().catch((e: unknown) => e);
    const stopping = app.stop();
    expect(lifecycle.state).toBe('shutting_down');
    releaseValidator();
    expect(await starting).toMatchObject({ code: 'ERR_LIFECYCLE_STARTUP' });
    await stopping;
    expect(steps).toEqual(['auth.start', 'extras enter', 'extras exit', 'auth.close', 'db.dispose']);
    expect(lifecycle.state).toBe('stopped');
    expect(app.ready).toBe(false);
  });
});
