import type { Server } from 'node:http';
import { LifecycleError } from '../errors.js';
import { type TrackedServer, trackServer } from './drain.js';
import { runTeardown, type TeardownFailure, type TeardownStep } from './teardown.js';
import type {
  AppState,
  CreateLifecycleConfig,
  LifecycleController,
  LifecycleTimers,
  M8App,
  TimerHandle,
} from './types.js';

const DEFAULT_TIMERS: LifecycleTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
const DEFAULT_TEARDOWN_GRACE_MS = 1000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the start/stop state machine of one app (DESIGN §7). `createApp` calls it once and implements
 * `app.start()`, `app.stop()` and `app.ready` with it (see `bindLifecycle`).
 *
 * start: compat check → config warnings → startup validators in order → JWKS prefetch (`auth.start`, a failure
 * only warns) → lifespan extras enter → ready. Any throw aborts: readiness stays false, lifespan extras
 * teardown, `auth.close()` and `db.dispose()` run, and `start()` can be called again.
 *
 * stop: state `shutting_down` at once (health answers 503) → wait SHUTDOWN_DELAY_SECONDS → every attached
 * server stops accepting, finishes in-flight requests with `Connection: close`, closes idle keep-alive
 * sockets → lifespan extras teardown → `auth.close()` → `db.dispose()` → `stopped`. Every step runs even
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
      throw new LifecycleError('ERR_LIFECYCLE_STARTUP', `Startup failed at ${step}: ${describe(cause)}`, {
        cause,
      });
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
    let timedOut = false;
    let passDeadline: () => void = () => {};
    const deadlinePassed = new Promise<'deadline'>((resolve) => {
      passDeadline = () => resolve('deadline');
    });
    const handles: TimerHandle[] = [];
    const schedule = (callback: () => void, ms: number, unref: boolean): void => {
      const handle = timers.setTimeout(callback, ms);
      if (unref) handle.unref?.();
      handles.push(handle);
    };
    // Unref'd: the deadline only guards; it must never keep a finished process alive.
    schedule(
      () => {
        timedOut = true;
        logger.error(
          { timeoutSeconds: settings.SHUTDOWN_TIMEOUT_SECONDS, openServers: servers.size },
          'shutdown timeout passed; destroying remaining connections',
        );
        for (const tracked of servers.values()) tracked.destroyAll();
        passDeadline();
      },
      timeoutMs,
      true,
    );
    const hardStop = deadlinePassed.then(
      () => new Promise<'hard'>((resolve) => schedule(() => resolve('hard'), graceMs, true)),
    );

    const work = (async (): Promise<TeardownFailure[]> => {
      if (startPromise) await Promise.race([startPromise.catch(() => undefined), deadlinePassed]);
      if (delayMs > 0 && !timedOut) {
        // Ref'd on purpose: this wait is the point (load balancers notice the 503 meanwhile).
        await Promise.race([
          new Promise<void>((resolve) => schedule(resolve, delayMs, false)),
          deadlinePassed,
        ]);
      }
      const drains = [...servers.values()].map((tracked) => tracked.drain());
      logger.info({ servers: drains.length }, 'stopped accepting connections; draining in-flight requests');
      if (timedOut) for (const tracked of servers.values()) tracked.destroyAll();
      await Promise.race([Promise.all(drains), deadlinePassed]);
      for (const tracked of servers.values()) tracked.detach();
      return runTeardown(teardownSteps(), logger);
    })();

    try {
      const outcome = await Promise.race([work, hardStop]);
      if (outcome === 'hard') {
        throw new LifecycleError(
          'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT',
          `Shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS=${settings.SHUTDOWN_TIMEOUT_SECONDS}; ` +
            `teardown was still running ${graceMs} ms later`,
        );
      }
      const failures = outcome;
      const cause =
        failures.length > 0
          ? new AggregateError(
              failures.map((f) => f.error),
              'teardown step failures',
            )
          : undefined;
      const listed = failures.map((f) => `${f.step}: ${describe(f.error)}`).join('; ');
      if (timedOut) {
        throw new LifecycleError(
          'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT',
          `Shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS=${settings.SHUTDOWN_TIMEOUT_SECONDS}; ` +
            `remaining connections were destroyed${listed ? `; teardown failures: ${listed}` : ''}`,
          { cause },
        );
      }
      if (failures.length > 0) {
        throw new LifecycleError(
          'ERR_LIFECYCLE_TEARDOWN',
          `${failures.length} teardown step${failures.length === 1 ? '' : 's'} failed: ${listed}`,
          { cause },
        );
      }
      logger.info({}, 'app stopped');
    } finally {
      for (const handle of handles) timers.clearTimeout(handle);
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
    get state() {
      return state;
    },
    get ready() {
      return state === 'ready';
    },
  };
}
