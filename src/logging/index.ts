export { createLogDestination, type LogDestinationOptions } from './destination.js';
export { createLogger } from './logger.js';
export {
  REDACTED,
  scrubUrl,
} from './redact.js';
export {
  createRequestLogger,
  installRequestLog,
} from './request-logger.js';
export { logStartupSummary } from './startup.js';
