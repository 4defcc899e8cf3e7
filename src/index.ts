/**
 * express-m8: one `createApp(settings, router, options)` wraps an Express router with what a production
 * microservice needs. This is the only public entry point; `express-m8/testing` holds the test kit.
 */
// DESIGN §9: importing the package on an unsupported Node.js or express throws CompatError at once; this
// import stays first so the check runs before any other module is evaluated.
import './compat-guard.js';

export {
  type AuthDeps,
  type AuthFailureReason,
  type AuthUser,
  type BuildAuthDepsOptions,
  buildAuthDeps,
  ROLES,
  type Role,
} from './auth/index.js';
export {
  CAPABILITIES,
  type Capabilities,
  COMPAT_MATRIX,
  type CompatRow,
  VERSION,
} from './compat/index.js';
export { type CreateAppOptions, createApp } from './create-app.js';
export { createDbEngine, type DbEngine, type DbEngineOptions } from './db/index.js';
export {
  AuthError,
  CompatError,
  DbError,
  ERROR_CODES,
  type ErrorCode,
  HttpError,
  LifecycleError,
  M8Error,
  SettingsError,
  type SettingsIssue,
} from './errors.js';
export {
  type HealthCheck,
  type HealthCheckResult,
  type HealthDetailAuthorizer,
  type HealthOptions,
  HealthPolicy,
  HealthStatus,
  healthResult,
  scrubMeta,
  scrubText,
} from './health/index.js';
export {
  type CreateAppServerOptions,
  createAppServer,
  type ServerClassesLogger,
} from './http/index.js';
export {
  type AppState,
  type LifecycleAuth,
  type LifecycleDb,
  type LifecycleOptions,
  type M8App,
  type RunningServer,
  type ServeOptions,
  serve,
} from './lifecycle/index.js';
export { createLogDestination, type LogDestinationOptions } from './logging/index.js';
export { setupClusterMetrics } from './metrics/index.js';
export {
  type AccessTokenAlgorithm,
  type Environment,
  isProductionLike,
  type LoadedSettings,
  type LoadSettingsOptions,
  type LogLevel,
  loadSettings,
  type MetricsGroup,
  type RevocationFailureMode,
  SECRET_SETTINGS,
  type SelectedDb,
  type Settings,
  type SettingsExtension,
  summarizeSettings,
  type TokenMode,
} from './settings/index.js';
