import type { Server } from 'node:http';
import { LifecycleError } from '../errors.js';
import { type TrackedServer, trackServer } from './drain.js';
import { runShutdown } from './shutdown.js';
import { describeError, runTeardown, type TeardownStep } from './teardown.js';
import type {
  AppState,
  CreateLifecycleConfig,
  LifecycleController,
  LifecycleTimers,
  M8App,
} from './types.js';

const DEFAULT_TIMERS: LifecycleTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
const DEFAULT_TEARDOWN_GRACE_MS = 1000;

/**
 * Creates the start/stop state machine of one app (docs/lifecycle.md). `createApp` calls it once and implements
 * `app.start()`, `app.stop()` and `app.ready` with it (see `bindLifecycle`).
 *
 * start: compat check → config warnings → startup validators in order → JWKS prefetch (`auth.start`, a failure
 * only warns) → lifespan extras enter → ready. Any throw aborts: readiness stays false, lifespan extras
 * teardown, `auth.close()` and `db.dispose()` run, and `start()` can be called again.
 *
 * stop: state `shutting_down` at once (health answers 503) → wait SHUTDOWN_DELAY_SECONDS → every attached
 * server stops accepting, finishes in-flight requests with `Connection: close`, closes idle, silent and
 * slow connections after a 1 s grace (see `trackServer`) → lifespan extras teardown → `auth.close()` → `db.dispose()` → `stopped`. Every step runs even
 * when an earlier one throws. SHUTDOWN_TIMEOUT_SECONDS bounds the whole of it: past it, remaining sockets are
 * destroyed and `stop()` rejects.
 *
 * @example
 * const lifecycle = createLifecycle({ app, settings, logger, options: { db: engine } });
 * await lifecycle.start();
 * await lifecycle.stop();
 * @throws {LifecycleError} from `start()`: `ERR_LIFECYCLE_STARTUP` (cause = the step's error); from `stop()`:
 * `ERR_LIFECYCLE_SHUTDOWN_TIMEOUT` or `ERR_LIFECYCLE_TEARDOWN` (cause = AggregateError of the step errors).
 */
export function createLifecycle(config: CreateLifecycleConfig): LifecycleController {
  const { settings, logger, compatCheck, warnings } = config;
  const app = config.app as M8App;
  const options = config.options ?? {};
  const validators = [...(options.startupValidators ?? [])];
  const timers = config.timers ?? DEFAULT_TIMERS;
  const delayMs = settings.SHUTDOWN_DELAY_SECONDS * 1000;
  const timeoutMs = settings.SHUTDOWN_TIMEOUT_SECONDS * 1000;
  const graceMs = config.teardownGraceMs ?? DEFAULT_TEARDOWN_GRACE_MS;
  const servers = new Map<Server, TrackedServer>();

  if (delayMs > 0 && delayMs >= timeoutMs) {
    logger.warn(
      { delaySeconds: settings.SHUTDOWN_DELAY_SECONDS, timeoutSeconds: settings.SHUTDOWN_TIMEOUT_SECONDS },
      'SHUTDOWN_DELAY_SECONDS is not below SHUTDOWN_TIMEOUT_SECONDS: in-flight requests get no time to finish',
    );
  }

  let state: AppState = 'initializing';
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;
  let extrasTeardown: (() => Promise<void>) | undefined;

  function teardownSteps(): TeardownStep[] {
    const steps: TeardownStep[] = [];
    const teardown = extrasTeardown;
    extrasTeardown = undefined;
    if (teardown) steps.push({ name: 'lifespanExtras teardown', run: teardown });
    const { auth, db } = options;
    if (auth) steps.push({ name: 'auth.close', run: () => auth.close() });
    if (db) steps.push({ name: 'db.dispose', run: () => db.dispose() });
    return steps;
  }

  async function runStart(): Promise<void> {
    let step = 'compat check';
    try {
      compatCheck?.();
      step = 'config warnings';
      warnings?.();
      for (const [index, validator] of validators.entries()) {
        step = `startupValidators[${index}]${validator.name ? ` (${validator.name})` : ''}`;
        await validator(app);
      }
      if (options.auth?.start) {
        try {
          await options.auth.start();
        } catch (err) {
          logger.warn({ err }, 'JWKS prefetch failed; signing keys will be fetched on demand');
        }
      }
      step = 'lifespanExtras';
      if (options.lifespanExtras) {
        const teardown = await options.lifespanExtras(app);
        if (typeof teardown === 'function') extrasTeardown = teardown;
      }
    } catch (cause) {
      // stop() was called meanwhile: it waits for this start to settle and runs the teardown itself.
      if (state === 'initializing') {
        logger.error({ err: cause, step }, 'startup failed; closing what was opened');
        await runTeardown(teardownSteps(), logger);
      }
      throw new LifecycleError(
        'ERR_LIFECYCLE_STARTUP',
        `Startup failed at ${step}: ${describeError(cause)}`,
        {
          cause,
        },
      );
    }
    if (state !== 'initializing') {
      throw new LifecycleError(
        'ERR_LIFECYCLE_STARTUP',
        'stop() was called while start() was running; the app did not become ready',
      );
    }
    state = 'ready';
    logger.info({}, 'app ready');
  }

  function start(): Promise<void> {
    // After stop() the app never starts again (checked first: a finished start's promise would resolve).
    if (stopPromise !== undefined || state === 'shutting_down' || state === 'stopped') {
      return Promise.reject(
        new LifecycleError('ERR_LIFECYCLE_STARTUP', `start() was called after stop() (state: ${state})`),
      );
    }
    if (startPromise) return startPromise;
    if (state !== 'initializing') {
      return Promise.reject(
        new LifecycleError('ERR_LIFECYCLE_STARTUP', `start() was called after stop() (state: ${state})`),
      );
    }
    const attempt: Promise<void> = runStart().catch((error: unknown) => {
      // A failed start can be retried: forget this attempt (callers holding it still see the rejection).
      if (startPromise === attempt) startPromise = undefined;
      throw error;
    });
    startPromise = attempt;
    return attempt;
  }

  async function runStop(): Promise<void> {
    try {
      await runShutdown({
        settings,
        logger,
        timers,
        graceMs,
        servers: () => servers.values(),
        startUnderWay: startPromise,
        teardownSteps,
      });
      logger.info({}, 'app stopped');
    } finally {
      state = 'stopped';
    }
  }

  function stop(): Promise<void> {
    if (stopPromise) return stopPromise;
    state = 'shutting_down';
    logger.info(
      { delaySeconds: settings.SHUTDOWN_DELAY_SECONDS, timeoutSeconds: settings.SHUTDOWN_TIMEOUT_SECONDS },
      'shutting down',
    );
    stopPromise = runStop();
    return stopPromise;
  }

  function attachServer(server: Server): () => void {
    if (stopPromise) {
      // Too late to serve: close it rather than leave it listening after shutdown.
      server.close();
      return () => {};
    }
    const existing = servers.get(server);
    if (existing) return () => detachServer(server);
    servers.set(server, trackServer(server));
    return () => detachServer(server);
  }

  function detachServer(server: Server): void {
    servers.get(server)?.detach();
    servers.delete(server);
  }

  return {
    start,
    stop,
    attachServer,
    logger,
    settings,
    get state() {
      return state;
    },
    get ready() {
      return state === 'ready';
    },
  };
}
