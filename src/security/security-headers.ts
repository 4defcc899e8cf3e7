import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import { SettingsError } from '../errors.js';
import { prepareHeaders, setPreparedHeaders } from '../http/fast-headers.js';
import { isProductionLike, type Settings } from '../settings/index.js';

/** The CSP sent when CONTENT_SECURITY_POLICY_ENABLED and no CONTENT_SECURITY_POLICY is given: a JSON API loads nothing. */
export const DEFAULT_CONTENT_SECURITY_POLICY =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The settings {@link createSecurityHeaders} reads. */
export type SecurityHeaderSettings = Pick<
  Settings,
  | 'ENVIRONMENT'
  | 'STRICT_PRODUCTION_MODE'
  | 'SECURITY_HEADERS_ENABLED'
  | 'HSTS_ENABLED'
  | 'HSTS_MAX_AGE'
  | 'HSTS_INCLUDE_SUBDOMAINS'
  | 'CONTENT_SECURITY_POLICY_ENABLED'
  | 'CONTENT_SECURITY_POLICY'
  | 'REFERRER_POLICY'
  | 'PERMISSIONS_POLICY'
>;

type Directives = Record<string, string[] | typeof helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc>;

/** `"default-src 'none'; img-src 'self' data:"` → helmet directives. */
function parseCsp(policy: string): Directives {
  const directives: Directives = {};
  for (const part of policy.split(';')) {
    const tokens = part.trim().split(/\s+/).filter(Boolean);
    const name = tokens.shift();
    if (name !== undefined) directives[name.toLowerCase()] = tokens;
  }
  if (directives['default-src'] === undefined) {
    directives['default-src'] = helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc;
  }
  return directives;
}

/** The helmet configuration for these settings (docs/security.md security headers). */
function helmetOptions(settings: SecurityHeaderSettings): HelmetOptions {
  const local = settings.ENVIRONMENT === 'local';
  const productionLike = isProductionLike(settings);
  const hsts = !local && settings.HSTS_ENABLED && settings.HSTS_MAX_AGE > 0;
  const csp = !local && settings.CONTENT_SECURITY_POLICY_ENABLED;
  const policy = settings.CONTENT_SECURITY_POLICY?.trim() || DEFAULT_CONTENT_SECURITY_POLICY;
  const referrer = settings.REFERRER_POLICY.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const options: HelmetOptions = {
    contentSecurityPolicy: csp ? { useDefaults: false, directives: parseCsp(policy) } : false,
    // Document-only or legacy-browser headers: no effect on JSON responses, ~0.3 µs and ~30 bytes each.
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    // CORS-mode fetches are not subject to CORP, so a cross-origin SPA still works; <img>/<script> embeds do not.
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: productionLike ? { policy: referrer as never } : false,
    strictTransportSecurity: hsts
      ? { maxAge: settings.HSTS_MAX_AGE, includeSubDomains: settings.HSTS_INCLUDE_SUBDOMAINS, preload: false }
      : false,
    xContentTypeOptions: true,
    xFrameOptions: { action: 'deny' },
    xPoweredBy: true,
  };
  return options;
}

/** Runs helmet once against a recording response and returns what it set and removed. */
function captureHelmet(options: HelmetOptions): { set: string[]; removed: string[] } {
  const set: string[] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string) {
      set.push(name, value);
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
  });
  if (failure !== undefined) throw failure;
  return { set, removed };
}

/**
 * Security headers through helmet, decided once: helmet runs a single time at construction against a recording
 * response, and the middleware then writes the captured name/value pairs, validated once, into each response's header table (helmet's own chain
 * of closures costs several µs a request). Always `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and
 * `Cross-Origin-Resource-Policy: same-origin`; `Referrer-Policy` and `Permissions-Policy` only when production-like;
 * HSTS only when `HSTS_ENABLED` and `HSTS_MAX_AGE > 0`, CSP only when `CONTENT_SECURITY_POLICY_ENABLED`, both
 * never on `ENVIRONMENT=local`. `X-Powered-By` is removed. See `docs/security.md` for the table.
 * @returns the middleware, or `undefined` when `SECURITY_HEADERS_ENABLED=false`.
 * @throws SettingsError `ERR_SETTINGS_INVALID` when helmet rejects REFERRER_POLICY or CONTENT_SECURITY_POLICY.
 * @example
 * const headers = createSecurityHeaders(settings);
 * if (headers) app.use(headers);
 */
export function createSecurityHeaders(
  settings: SecurityHeaderSettings,
): ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) | undefined {
  if (!settings.SECURITY_HEADERS_ENABLED) return undefined;
  const options = helmetOptions(settings);
  let captured: { set: string[]; removed: string[] };
  try {
    captured = captureHelmet(options);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const variable = message.startsWith('Referrer-Policy') ? 'REFERRER_POLICY' : 'CONTENT_SECURITY_POLICY';
    throw new SettingsError([{ variable, message: `helmet rejected it: ${message}` }], { cause: err });
  }
  // helmet joins directives with `;`; send the conventional `; ` so the header reads exactly as configured.
  for (let i = 0; i < captured.set.length; i += 2) {
    if (captured.set[i] === 'Content-Security-Policy')
      captured.set[i + 1] = captured.set[i + 1]!.split(';').join('; ');
  }
  const permissions = settings.PERMISSIONS_POLICY.trim();
  if (isProductionLike(settings) && permissions !== '') captured.set.push('Permissions-Policy', permissions);
  // Validated once here; each request writes them into the response's header table (see http/fast-headers.ts).
  const prepared = prepareHeaders(captured.set);
  const removed: readonly string[] = Object.freeze(captured.removed);
  const removedCount = removed.length;
  return function securityHeaders(_req, res, next) {
    setPreparedHeaders(res, prepared);
    // Only when present: a removal of an absent header still costs a validation and a `delete`.
    for (let i = 0; i < removedCount; i++) {
      const name = removed[i] as string;
      if (res.hasHeader(name)) res.removeHeader(name);
    }
    next();
  };
}
