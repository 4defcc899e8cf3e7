export {
  type DriverLoader,
  defaultDriverVersion as readDriverVersion,
} from './drivers.js';
export { createDbEngine } from './engine.js';

export { PERMANENT_DB_ERROR_CODES, scrubText as scrubDbText } from './scrub.js';
export { type DbSettings, resolveDbTarget } from './target.js';
export type {
  DbEngine,
  DbEngineOptions,
} from './types.js';
