import type { Server } from 'node:http';
import { LifecycleError } from '../errors.js';
import { type TrackedServer, trackServer } from './drain.js';
import { runShutdown } from './shutdown.js';
import { describeError, runTeardown, type TeardownStep } from './teardown.js';
import type {
  AppState,
  CreateLifecycleConfig,
  LifecycleController,
  LifecycleLogger,
  LifecycleOptions,
  LifecycleSettings,
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
  const { settings, logger } = config;
  const timers = config.timers ?? DEFAULT_TIMERS;
  const graceMs = config.teardownGraceMs ?? DEFAULT_TEARDOWN_GRACE_MS;
  // Taken at creation: validators added to the consumer's array later do not run.
  const validators = [...(config.options?.startupValidators ?? [])];
  warnWithoutDrainTime(settings, logger);
  const run: Run = {
    state: 'initializing',
    startPromise: undefined,
    stopPromise: undefined,
    extrasTeardown: undefined,
  };
  const servers = serverSet(() => run.stopPromise !== undefined);

  function start(): Promise<void> {
    // After stop() the app never starts again (checked first: a finished start's promise would resolve).
    if (run.stopPromise !== undefined || run.state === 'shutting_down' || run.state === 'stopped') {
      return Promise.reject(
        new LifecycleError('ERR_LIFECYCLE_STARTUP', `start() was called after stop() (state: ${run.state})`),
      );
    }
    if (run.startPromise) return run.startPromise;
    if (run.state !== 'initializing') {
      return Promise.reject(
        new LifecycleError('ERR_LIFECYCLE_STARTUP', `start() was called after stop() (state: ${run.state})`),
      );
    }
    const attempt: Promise<void> = runStart(run, config, validators).catch((error: unknown) => {
      // A failed start can be retried: forget this attempt (callers holding it still see the rejection).
      if (run.startPromise === attempt) run.startPromise = undefined;
      throw error;
    });
    run.startPromise = attempt;
    return attempt;
  }

  async function runStop(): Promise<void> {
    try {
      await runShutdown({
        settings,
        logger,
        timers,
        graceMs,
        servers: servers.values,
        startUnderWay: run.startPromise,
        teardownSteps: () => teardownSteps(run, config.options),
      });
      logger.info({}, 'app stopped');
    } finally {
      run.state = 'stopped';
    }
  }

  function stop(): Promise<void> {
    if (run.stopPromise) return run.stopPromise;
    run.state = 'shutting_down';
    logger.info(
      { delaySeconds: settings.SHUTDOWN_DELAY_SECONDS, timeoutSeconds: settings.SHUTDOWN_TIMEOUT_SECONDS },
      'shutting down',
    );
    run.stopPromise = runStop();
    return run.stopPromise;
  }

  return {
    start,
    stop,
    attachServer: servers.attach,
    logger,
    settings,
    get state() {
      return run.state;
    },
    get ready() {
      return run.state === 'ready';
    },
  };
}

/** The mutable state of one lifecycle. */
interface Run {
  state: AppState;
  startPromise: Promise<void> | undefined;
  stopPromise: Promise<void> | undefined;
  extrasTeardown: (() => Promise<void>) | undefined;
}

/** What stop (or a failed start) closes, in order: lifespan extras, `auth.close()`, `db.dispose()`. */
function teardownSteps(run: Run, options: LifecycleOptions | undefined): TeardownStep[] {
  const steps: TeardownStep[] = [];
  const teardown = run.extrasTeardown;
  run.extrasTeardown = undefined;
  if (teardown) steps.push({ name: 'lifespanExtras teardown', run: teardown });
  const auth = options?.auth;
  const db = options?.db;
  if (auth) steps.push({ name: 'auth.close', run: () => auth.close() });
  if (db) steps.push({ name: 'db.dispose', run: () => db.dispose() });
  return steps;
}

/** One attempt of `start()`: the steps, then `ready`; a failure closes what was opened (unless stopping). */
async function runStart(
  run: Run,
  config: CreateLifecycleConfig,
  validators: NonNullable<LifecycleOptions['startupValidators']>,
): Promise<void> {
  const { logger } = config;
  const progress = { step: 'compat check' };
  try {
    const teardown = await runStartSteps(config, validators, progress);
    if (teardown) run.extrasTeardown = teardown;
  } catch (cause) {
    // stop() was called meanwhile: it waits for this start to settle and runs the teardown itself.
    if (run.state === 'initializing') {
      logger.error({ err: cause, step: progress.step }, 'startup failed; closing what was opened');
      await runTeardown(teardownSteps(run, config.options), logger);
    }
    throw new LifecycleError(
      'ERR_LIFECYCLE_STARTUP',
      `Startup failed at ${progress.step}: ${describeError(cause)}`,
      { cause },
    );
  }
  if (run.state !== 'initializing') {
    throw new LifecycleError(
      'ERR_LIFECYCLE_STARTUP',
      'stop() was called while start() was running; the app did not become ready',
    );
  }
  run.state = 'ready';
  logger.info({}, 'app ready');
}

/** A delay that eats the whole timeout leaves in-flight requests no time to finish: said once, at creation. */
function warnWithoutDrainTime(settings: LifecycleSettings, logger: LifecycleLogger): void {
  const delayMs = settings.SHUTDOWN_DELAY_SECONDS * 1000;
  const timeoutMs = settings.SHUTDOWN_TIMEOUT_SECONDS * 1000;
  if (delayMs > 0 && delayMs >= timeoutMs) {
    logger.warn(
      { delaySeconds: settings.SHUTDOWN_DELAY_SECONDS, timeoutSeconds: settings.SHUTDOWN_TIMEOUT_SECONDS },
      'SHUTDOWN_DELAY_SECONDS is not below SHUTDOWN_TIMEOUT_SECONDS: in-flight requests get no time to finish',
    );
  }
}

/**
 * The steps of `start()` in order, `progress.step` naming the one running (for the error message): compat
 * check → config warnings → startup validators → `auth.start()` (a failure only warns) → lifespan extras.
 * Returns the extras' teardown.
 */
async function runStartSteps(
  config: CreateLifecycleConfig,
  validators: NonNullable<LifecycleOptions['startupValidators']>,
  progress: { step: string },
): Promise<(() => Promise<void>) | undefined> {
  const app = config.app as M8App;
  const options = config.options ?? {};
  config.compatCheck?.();
  progress.step = 'config warnings';
  config.warnings?.();
  for (const [index, validator] of validators.entries()) {
    progress.step = `startupValidators[${index}]${validator.name ? ` (${validator.name})` : ''}`;
    await validator(app);
  }
  if (options.auth?.start) {
    try {
      await options.auth.start();
    } catch (err) {
      config.logger.warn({ err }, 'JWKS prefetch failed; signing keys will be fetched on demand');
    }
  }
  progress.step = 'lifespanExtras';
  if (!options.lifespanExtras) return undefined;
  const teardown = await options.lifespanExtras(app);
  return typeof teardown === 'function' ? teardown : undefined;
}

/** The servers `serve()` attached, drained at stop; one attached after stop() is closed at once. */
function serverSet(stopping: () => boolean): {
  values: () => Iterable<TrackedServer>;
  attach: (server: Server) => () => void;
} {
  const servers = new Map<Server, TrackedServer>();
  function detach(server: Server): void {
    servers.get(server)?.detach();
    servers.delete(server);
  }
  return {
    values: () => servers.values(),
    attach(server) {
      if (stopping()) {
        // Too late to serve: close it rather than leave it listening after shutdown.
        server.close();
        return () => {};
      }
      if (!servers.has(server)) servers.set(server, trackServer(server));
      return () => detach(server);
    },
  };
}
