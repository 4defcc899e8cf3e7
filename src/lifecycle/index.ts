/** Lifecycle: start, stop, serve, signals and graceful shutdown (docs/lifecycle.md). */
export { bindLifecycle, getLifecycle, LIFECYCLE } from './binding.js';
export { createLifecycle } from './controller.js';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  type RunningServer,
  type ServeInternals,
  type ServeOptions,
  serve,
  serveWith,
} from './serve.js';
export { type ExitFunction, SHUTDOWN_SIGNALS, type ShutdownSignal, type SignalSource } from './signals.js';
export type {
  AppState,
  CreateLifecycleConfig,
  LifecycleAuth,
  LifecycleController,
  LifecycleDb,
  LifecycleLogger,
  LifecycleOptions,
  LifecycleSettings,
  LifecycleTimers,
  M8App,
  M8AppMetrics,
  TimerHandle,
} from './types.js';
