/** Settings (docs/settings.md): `loadSettings`, the `Settings` contract and a log-safe summary. */
export { authSettingsIssues } from './auth-check.js';
export {
  type LoadedSettings,
  type LoadSettingsOptions,
  loadSettings,
  type SettingsExtension,
} from './load.js';
export { keyTypeProblem, loadPublicKeyFile } from './pem.js';
export { METRICS_GROUP_NAMES } from './schema.js';
export { summarizeSettings } from './summary.js';
export {
  type AccessTokenAlgorithm,
  type AccessTokenAlgorithmSetting,
  type AsymmetricAlgorithm,
  type Environment,
  isProductionLike,
  type LogLevel,
  type MetricsGroup,
  type RevocationFailureMode,
  SECRET_SETTINGS,
  type SelectedDb,
  type Settings,
  type TokenMode,
  type TokenProfile,
} from './types.js';
