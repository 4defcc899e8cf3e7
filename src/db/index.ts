export {
  type DriverLoader,
  type DriverVersionReader,
  defaultDriverVersion as readDriverVersion,
} from './drivers.js';
export { createDbEngine } from './engine.js';
export { PgliteDialect, type PgliteLike } from './pglite-dialect.js';
export { PERMANENT_DB_ERROR_CODES, scrubText as scrubDbText } from './scrub.js';
export { type DbSettings, type DbTarget, resolveDbTarget } from './target.js';
export type {
  DbCheckMeta,
  DbEngine,
  DbEngineOptions,
  DbLogger,
  DbObserver,
  DbPoolStats,
} from './types.js';
