/** Lifecycle: start, stop, serve, signals and graceful shutdown (docs/lifecycle.md). */
export { bindLifecycle, getLifecycle, LIFECYCLE } from './binding.js';
export { createLifecycle } from './controller.js';
export {
  type RunningServer,
  type ServeInternals,
  type ServeOptions,
  serve,
  serveWith,
} from './serve.js';
export type {
  AppState,
  CreateLifecycleConfig,
  LifecycleAuth,
  LifecycleController,
  LifecycleDb,
  LifecycleLogger,
  LifecycleOptions,
  LifecycleTimers,
  M8App,
  M8AppMetrics,
  TimerHandle,
} from './types.js';
