import type { SettingsIssue } from '../errors.js';
import type { Settings } from '../settings/types.js';

/**
 * Re-checks the settings `buildAuthDeps` depends on, so a hand-built Settings object fails at construction
 * with the variable named (loadSettings applies the same rules first). Returns every problem at once.
 */
export function authSettingsIssues(s: Settings): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const alg = s.ACCESS_TOKEN_ALGORITHM;
  if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'HS256') {
    issues.push({
      variable: 'ACCESS_TOKEN_ALGORITHM',
      message: `must be RS256, ES256 or HS256 (got ${String(alg)})`,
    });
  }
  if (alg === 'HS256' && !s.ACCESS_SECRET_KEY) {
    issues.push({ variable: 'ACCESS_SECRET_KEY', message: 'is required when ACCESS_TOKEN_ALGORITHM=HS256' });
  }
  if ((alg === 'RS256' || alg === 'ES256') && !s.JWKS_URI && !s.ACCESS_PUBLIC_KEY_FILE) {
    issues.push({
      variable: 'JWKS_URI',
      message: `JWKS_URI or ACCESS_PUBLIC_KEY_FILE is required when ACCESS_TOKEN_ALGORITHM=${alg}`,
    });
  }
  if (s.JWKS_URI && alg !== 'HS256') {
    let url: URL | undefined;
    try {
      url = new URL(s.JWKS_URI);
    } catch {
      issues.push({ variable: 'JWKS_URI', message: 'must be an absolute http(s) URL' });
    }
    if (url && url.protocol !== 'https:' && url.protocol !== 'http:') {
      issues.push({ variable: 'JWKS_URI', message: `must use http or https (got ${url.protocol})` });
    }
  }
  if (s.TOKEN_STRICT_VALIDATION) {
    if (!s.TOKEN_ISSUER)
      issues.push({ variable: 'TOKEN_ISSUER', message: 'is required when TOKEN_STRICT_VALIDATION=true' });
    if (!s.TOKEN_AUDIENCE) {
      issues.push({ variable: 'TOKEN_AUDIENCE', message: 'is required when TOKEN_STRICT_VALIDATION=true' });
    }
  }
  if (s.TOKEN_MODE === 'stateful') {
    if (!s.INTROSPECTION_URL)
      issues.push({ variable: 'INTROSPECTION_URL', message: 'is required when TOKEN_MODE=stateful' });
    if (!s.PRIVATE_API_SECRET) {
      issues.push({ variable: 'PRIVATE_API_SECRET', message: 'is required when TOKEN_MODE=stateful' });
    }
  }
  if (s.EVENT_STREAM_ENABLED) {
    for (const name of [
      'INTROSPECTION_URL',
      'PRIVATE_API_SECRET',
      'INTERNAL_CLIENT_ID',
      'EVENT_SIGNING_KEY',
    ] as const) {
      if (!s[name]) issues.push({ variable: name, message: 'is required when EVENT_STREAM_ENABLED=true' });
    }
  }
  if (s.INTROSPECTION_URL) {
    try {
      const url = new URL(s.INTROSPECTION_URL);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        issues.push({
          variable: 'INTROSPECTION_URL',
          message: `must use http or https (got ${url.protocol})`,
        });
      }
    } catch {
      issues.push({ variable: 'INTROSPECTION_URL', message: 'must be an absolute http(s) URL' });
    }
  }
  if (!(s.JWKS_CACHE_TTL_SECONDS >= 1)) {
    issues.push({
      variable: 'JWKS_CACHE_TTL_SECONDS',
      message: `must be ≥ 1 (got ${s.JWKS_CACHE_TTL_SECONDS})`,
    });
  }
  return issues;
}
