export { type AuthDeps, buildAuthDeps } from './build-auth-deps.js';
export type { AuthGuard } from './guards.js';
export { JWKS_MAX_BYTES } from './jwks.js';
export {
  type AuthFailureReason,
  type AuthObserver,
  type AuthUser,
  type BuildAuthDepsOptions,
  type JwksRefreshResult,
  type RevocationResult,
  ROLES,
  type Role,
} from './types.js';
