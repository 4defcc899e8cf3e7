export { createCors } from './cors.js';
export { createHostCheck } from './host-check.js';
export { createRequestId } from './request-id.js';
export { createSecretMatcher } from './secret-matcher.js';
export {
  createSecurityHeaders,
  DEFAULT_CONTENT_SECURITY_POLICY,
} from './security-headers.js';
