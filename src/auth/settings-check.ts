import type { SettingsIssue } from '../errors.js';
import {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenAlgorithm,
  accessTokenAlgorithms,
  type Settings,
  settingList,
} from '../settings/types.js';

const KNOWN: ReadonlySet<AccessTokenAlgorithm> = new Set(ACCESS_TOKEN_ALGORITHMS);

function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  return url.protocol === 'https:' || url.protocol === 'http:'
    ? undefined
    : `must use http or https (got ${url.protocol})`;
}

/**
 * Re-checks the settings `buildAuthDeps` depends on, so a hand-built Settings object fails at construction
 * with the variable named (loadSettings applies the same rules first). Returns every problem at once.
 */
export function authSettingsIssues(s: Settings): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const algs =
    typeof s.ACCESS_TOKEN_ALGORITHM === 'string' ? accessTokenAlgorithms(s.ACCESS_TOKEN_ALGORITHM) : [];
  const unknown = algs.filter((a) => !KNOWN.has(a));
  if (algs.length === 0 || unknown.length > 0 || (algs.length > 1 && algs.includes('HS256'))) {
    issues.push({
      variable: 'ACCESS_TOKEN_ALGORITHM',
      message: `must be HS256, or one or more of ${[...KNOWN].filter((a) => a !== 'HS256').join(', ')} (got ${String(s.ACCESS_TOKEN_ALGORITHM)})`,
    });
  }
  const hs = algs[0] === 'HS256';
  if (hs && !s.ACCESS_SECRET_KEY) {
    issues.push({ variable: 'ACCESS_SECRET_KEY', message: 'is required when ACCESS_TOKEN_ALGORITHM=HS256' });
  }
  const discovery = s.OIDC_DISCOVERY === true;
  if (!hs && algs.length > 0 && !s.JWKS_URI && !s.ACCESS_PUBLIC_KEY_FILE && !discovery) {
    issues.push({
      variable: 'JWKS_URI',
      message: `JWKS_URI, ACCESS_PUBLIC_KEY_FILE or OIDC_DISCOVERY=true is required when ACCESS_TOKEN_ALGORITHM=${s.ACCESS_TOKEN_ALGORITHM}`,
    });
  }
  const issuers = settingList(s.TOKEN_ISSUER);
  const jwks = settingList(s.JWKS_URI);
  if (!hs && !discovery) {
    for (const uri of jwks) {
      const problem = urlProblem(uri);
      if (problem !== undefined) issues.push({ variable: 'JWKS_URI', message: problem });
    }
    if (jwks.length > 1 && jwks.length !== issuers.length) {
      issues.push({
        variable: 'JWKS_URI',
        message: `lists ${jwks.length} URLs for ${issuers.length} TOKEN_ISSUER entries: give one, or one per issuer`,
      });
    }
  }
  if (discovery) {
    if (hs) issues.push({ variable: 'OIDC_DISCOVERY', message: 'needs a public-key ACCESS_TOKEN_ALGORITHM' });
    if (issuers.length === 0)
      issues.push({ variable: 'TOKEN_ISSUER', message: 'is required when OIDC_DISCOVERY=true' });
    for (const issuer of issuers) {
      const problem = urlProblem(issuer);
      if (problem !== undefined)
        issues.push({ variable: 'TOKEN_ISSUER', message: `with OIDC_DISCOVERY=true: ${problem}` });
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
