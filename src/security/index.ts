export { CORS_HEADERS, CORS_MAX_AGE_SECONDS, CORS_METHODS, createCors } from './cors.js';
export { createHostCheck, type HostCheckOptions, isValidHostHeader, normalizeHost } from './host-check.js';
export { createRequestId, REQUEST_ID_PATTERN } from './request-id.js';
export { createSecretMatcher } from './secret-matcher.js';
export {
  createSecurityHeaders,
  DEFAULT_CONTENT_SECURITY_POLICY,
  type SecurityHeaderSettings,
} from './security-headers.js';
