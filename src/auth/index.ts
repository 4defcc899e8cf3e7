export {
  AUTH_INTERNALS,
  type AuthDeps,
  buildAuthDeps,
  setAuthLogger,
  setAuthObserver,
} from './build-auth-deps.js';
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
