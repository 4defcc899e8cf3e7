/**
 * express-m8: one `createApp(settings, router, options)` wraps an Express router with what a production
 * microservice needs. This is the only public entry point; `express-m8/testing` holds the test kit.
 */
// docs/compatibility.md: importing the package on an unsupported Node.js or express throws CompatError at once; this
// import stays first so the check runs before any other module is evaluated.
import './compat-guard.js';

export {
  type ApiKeyInfo,
  type ApiKeyManager,
  apiKeysEnabled,
  type CreateApiKeyOptions,
  type CreatedApiKey,
  createApiKeyManager,
} from './apikeys/index.js';
export {
  type AuthDeps,
  type AuthFailureReason,
  type AuthGuard,
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
export {
  type ContractHandler,
  type ContractSchema,
  type ContractSpec,
  contract,
  MAX_VALIDATION_ERRORS,
  type ValidationIssue,
} from './contracts/index.js';
export { type CreateAppOptions, createApp } from './create-app.js';
export { createDbEngine, type DbEngine, type DbEngineOptions } from './db/index.js';
export {
  AuthError,
  CompatError,
  DbError,
  ERROR_CODES,
  type ErrorCode,
  HttpError,
  type HttpErrorCode,
  type HttpErrorOptions,
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
  type M8AppMetrics,
  type RunningServer,
  type ServeOptions,
  serve,
} from './lifecycle/index.js';
export { createLogDestination, type LogDestinationOptions } from './logging/index.js';
export { redactPaths } from './logging/redact.js';
export { setupClusterMetrics } from './metrics/index.js';
export {
  type AccessTokenAlgorithm,
  type AccessTokenAlgorithmSetting,
  type AsymmetricAlgorithm,
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
  type TokenProfile,
} from './settings/index.js';
export { traceHeaders } from './tracing/index.js';
