export { createLogDestination, type LogDestinationOptions } from './destination.js';
export type { LineDestination } from './line-destination.js';
export { type CreateLoggerOptions, createLogger } from './logger.js';
export {
  REDACTED,
  redactPaths,
  SECRET_FIELDS,
  SECRET_HEADERS,
  SECRET_PARENTS,
  scrubUrl,
} from './redact.js';
export {
  createRequestLogger,
  installRequestLog,
  noteOnRequestLine,
  type RequestLineNote,
  type RequestLoggerOptions,
} from './request-logger.js';
export { logStartupSummary, type StartupSummary } from './startup.js';
