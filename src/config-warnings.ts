import { settingsNotes } from './settings/notes.js';
import { isProductionLike, type Settings } from './settings/types.js';

/** A configuration that is valid but worth a warning at start. */
export interface ConfigWarning {
  readonly variable: string;
  readonly message: string;
}

/**
 * Valid-but-risky settings, logged as warnings by `start()` (errors are `loadSettings`' job).
 * Pure: the lifecycle logs what this returns.
 */
export function configWarnings(settings: Settings): ConfigWarning[] {
  // Local fallbacks and likely typos, found while loading.
  const warnings: ConfigWarning[] = [...settingsNotes(settings)];
  const production = isProductionLike(settings);
  if (production && settings.ACCESS_TOKEN_ALGORITHM === 'HS256') {
    warnings.push({
      variable: 'ACCESS_TOKEN_ALGORITHM',
      message: 'HS256 in production: every service holding the secret can mint tokens; prefer RS256 or ES256',
    });
  }
  if (production && !settings.TOKEN_STRICT_VALIDATION) {
    warnings.push({
      variable: 'TOKEN_STRICT_VALIDATION',
      message: 'permissive token validation in production: iss, aud, iat and nbf are not all enforced',
    });
  }
  if (
    production &&
    settings.ACCESS_REVOCATION_FAILURE_MODE === 'fail_open' &&
    settings.TOKEN_MODE === 'stateful'
  ) {
    warnings.push({
      variable: 'ACCESS_REVOCATION_FAILURE_MODE',
      message: 'fail_open in production: revoked tokens are accepted while the issuer is unreachable',
    });
  }
  if (
    settings.METRICS_ENABLED &&
    settings.METRICS_PORT === undefined &&
    !settings.METRICS_SCRAPE_CREDENTIAL
  ) {
    warnings.push({
      variable: 'METRICS_SCRAPE_CREDENTIAL',
      message: 'GET /metrics is public on the app port; set METRICS_SCRAPE_CREDENTIAL or METRICS_PORT',
    });
  }
  if (production && settings.SERVE_DOCS_IN_PRODUCTION) {
    warnings.push({
      variable: 'SERVE_DOCS_IN_PRODUCTION',
      message: 'API docs are served in production',
    });
  }
  if (production && settings.ALLOWED_HOSTS.length === 0) {
    warnings.push({
      variable: 'ALLOWED_HOSTS',
      message: 'no trusted-host restriction in production: any Host header is accepted',
    });
  }
  return warnings;
}
