/**
 * Health checks and endpoints. Public: statuses, policies, the check contract, `healthResult` and the
 * scrubbers; internal (for `createApp`): `createHealthRoutes`.
 */

export { isSecretKey, scrubMeta, scrubText } from '../redaction/index.js';
export {
  createHealthRoutes,
  type HealthRoutesOptions,
  registerHealthRoutes,
} from './routes.js';
export {
  type AppState,
  type HealthCheck,
  type HealthCheckResult,
  type HealthDetailAuthorizer,
  type HealthOptions,
  HealthPolicy,
  HealthStatus,
  healthResult,
} from './types.js';
