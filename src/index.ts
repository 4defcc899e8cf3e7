export {
  AuthError,
  CompatError,
  DbError,
  ERROR_CODES,
  type ErrorCode,
  HttpError,
  LifecycleError,
  M8Error,
  SettingsError,
  type SettingsIssue,
} from './errors.js';
export type { Settings } from './settings/types.js';
