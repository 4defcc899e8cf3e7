import type { Server } from 'node:http';
import type { Application } from 'express';
import type { Registry } from 'prom-client';
import type { AppState } from '../health/index.js';
import type { Settings } from '../settings/types.js';

export type { AppState } from '../health/index.js';

/**
 * An Express application made by `createApp`: it never listens by itself; `serve()` does.
 *
 * @example
 * const app = createApp(settings, router);
 * await app.start();
 * app.ready; // true
 * await app.stop();
 */
export type M8App = Application & {
  /** Runs startup (compat check, config warnings, validators, JWKS prefetch, lifespan extras). Idempotent. */
  start(): Promise<void>;
  /** Runs graceful shutdown and teardown. Idempotent: a second call returns the same promise. */
  stop(): Promise<void>;
  /** True between a successful `start()` and the call to `stop()`. */
  readonly ready: boolean;
  /** This app's Prometheus metrics: register your own metrics on `app.metrics.registry`. */
  readonly metrics: M8AppMetrics;
};

/**
 * `app.metrics`: the app's own prom-client registry, served on its `/metrics` (or `METRICS_PORT`) with the
 * built-in series.
 *
 * @example
 * import { Counter } from 'prom-client';
 * const orders = new Counter({ name: 'orders_created_total', help: 'Orders created.', registers: [app.metrics.registry] });
 * orders.inc();
 */
export interface M8AppMetrics {
  /**
   * The registry `/metrics` serves. With `METRICS_ENABLED=false` it is a registry nothing serves, so code
   * registering its metrics needs no branch.
   */
  readonly registry: Registry;
  /** `METRICS_ENABLED`. */
  readonly enabled: boolean;
  /** The prefix of the built-in metric names (`api_`, or METRICS_PREFIX); `''` when metrics are off. */
  readonly prefix: string;
}

/**
 * The part of the auth dependencies the lifecycle drives (structural: `AuthDeps` fits).
 *
 * @example
 * const auth: LifecycleAuth = { async start() {}, close() {} };
 */
export interface LifecycleAuth {
  /** Releases timers, agents and caches. Called once per stop (and after a failed start). */
  close(): void | Promise<void>;
  /** Prefetches the JWKS at `start()`; a failure is logged as a warning and never fails startup. */
  start?(): Promise<void>;
}

/**
 * The part of a database engine the lifecycle drives (structural: `DbEngine` fits).
 *
 * @example
 * const db: LifecycleDb = { dispose: () => pool.end() };
 */
export interface LifecycleDb {
  /** Closes the pool. Must be idempotent. */
  dispose(): void | Promise<void>;
}

/**
 * What an app runs at start and closes at stop: `CreateAppOptions.lifecycle`.
 *
 * @example
 * const lifecycle: LifecycleOptions = {
 *   db: engine,
 *   startupValidators: [async () => { await engine.db.selectFrom('items').select('id').limit(1).execute(); }],
 *   lifespanExtras: async () => { const timer = setInterval(refresh, 60_000); return async () => clearInterval(timer); },
 * };
 */
export interface LifecycleOptions {
  /** Prefetched at start (`start()`), closed at stop (`close()`). */
  auth?: LifecycleAuth;
  /** Disposed at stop, last. */
  db?: LifecycleDb;
  /** Run in order at start; the first throw aborts startup and closes what was opened. */
  startupValidators?: Array<(app: M8App) => void | Promise<void>>;
  /** Called by `createApp` while composing the app (not by the lifecycle), to add routes or settings. */
  configure?: (app: M8App) => void;
  /** Entered last at start; the function it returns (if any) is the teardown, run first at stop. */
  lifespanExtras?: (app: M8App) => Promise<void | (() => Promise<void>)>;
}

/**
 * The logger calls the lifecycle makes (structural: a pino logger fits). `obj.err` carries errors.
 *
 * @example
 * const logger: LifecycleLogger = pino();
 */
export interface LifecycleLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** An opaque timer handle; `unref()` is called when present. */
export interface TimerHandle {
  unref?(): unknown;
}

/**
 * Timer functions the lifecycle uses; injected by tests, `globalThis` ones by default.
 *
 * @example
 * const timers: LifecycleTimers = { setTimeout, clearTimeout };
 */
export interface LifecycleTimers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The settings the lifecycle reads. */
export type LifecycleSettings = Pick<Settings, 'SHUTDOWN_DELAY_SECONDS' | 'SHUTDOWN_TIMEOUT_SECONDS'> &
  Partial<Pick<Settings, 'REQUEST_TIMEOUT_SECONDS' | 'SECURITY_HEADERS_ENABLED'>>;

/**
 * What `createLifecycle` needs; `createApp` passes its app, settings, logger and `options.lifecycle`.
 *
 * @example
 * const lifecycle = createLifecycle({ app, settings, logger, options: createAppOptions.lifecycle ?? {} });
 */
export interface CreateLifecycleConfig {
  /** The Express app the validators and lifespan extras receive (as `M8App`). */
  app: Application;
  settings: LifecycleSettings;
  logger: LifecycleLogger;
  options?: LifecycleOptions;
  /** First startup step (`assertCompat`); a throw aborts startup. */
  compatCheck?: () => void;
  /** Second startup step: logs configuration warnings; a throw aborts startup. */
  warnings?: () => void;
  /** @internal Injected timers (tests). */
  timers?: LifecycleTimers;
  /**
   * @internal How long teardown may still run once SHUTDOWN_TIMEOUT_SECONDS has passed before `stop()`
   * settles anyway (default 1000 ms).
   */
  teardownGraceMs?: number;
}

/**
 * Drives an app's start and stop; `createApp` implements `app.start/stop/ready` with it, `serve()` attaches
 * its server to it, health reads `state`.
 *
 * @example
 * const lifecycle = createLifecycle({ app, settings, logger });
 * await lifecycle.start();
 * lifecycle.state; // 'ready'
 */
export interface LifecycleController {
  /** Runs startup once; a second call returns the first call's promise (unless that one failed). */
  start(): Promise<void>;
  /** Runs shutdown once; a second call returns the same promise. */
  stop(): Promise<void>;
  readonly state: AppState;
  /** `state === 'ready'`. */
  readonly ready: boolean;
  /** The logger the lifecycle (and `serve()`) writes to. */
  readonly logger: LifecycleLogger;
  /** The settings it was made with (`serve()` reads the request limits from them). */
  readonly settings: LifecycleSettings;
  /**
   * Puts a server under shutdown control: `stop()` closes it, finishes its in-flight requests with
   * `Connection: close` and closes its idle, silent and slow connections after a 1 s grace. Attach before `listen()` (earlier connections
   * are not seen). Returns a detach function. A server attached after `stop()` was called is closed at once.
   */
  attachServer(server: Server): () => void;
}
